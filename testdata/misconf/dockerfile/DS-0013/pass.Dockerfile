FROM nginx:1.27
WORKDIR /usr/share/nginx/html
RUN sed -i 's/Docker/nginx/' index.html
RUN (cd /tmp && tar xf a.tgz) && echo "cd /elsewhere"
RUN echo "$(cd /etc && pwd)"
CMD cd /usr/share/nginx/html && nginx -g 'daemon off;'
