FROM nginx:1.27
RUN cd /usr/share/nginx/html && sed -i 's/Docker/nginx/' index.html
RUN apt-get install -y vim && \
    cd /etc/nginx
run ["sh", "-c", "cd /tmp && tar xf a.tgz"]
RUN <<EOF
set -e
cd /srv
make
EOF
