FROM redis:7 AS base
CMD ["redis-server"]

FROM base
RUN <<EOF
echo "maxmemory 64mb" >> /usr/local/etc/redis.conf
EOF
CMD ["redis-server", "/usr/local/etc/redis.conf"]
