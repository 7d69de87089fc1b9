FROM debian:12
RUN chmod 777 /app
RUN chmod -R a+rwx /data
RUN ["chmod", "0777", "/srv"]
RUN mkdir -p /var/log/app && chmod o+w /var/log/app
RUN chmod u+x,o+w /opt/tool
