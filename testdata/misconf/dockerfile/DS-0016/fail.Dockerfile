FROM redis:7
CMD ["redis-server"]
RUN <<EOF
echo "maxmemory 64mb" >> /usr/local/etc/redis.conf
EOF
cmd redis-server \
    /usr/local/etc/redis.conf
