FROM debian:12
RUN chmod 755 /app && chmod -R 644 /data
RUN chmod 1777 /scratch
RUN chmod a+rx /usr/local/bin/tool && chmod o-w /srv
RUN echo "chmod 777 is bad"
COPY --chmod=755 app /usr/local/bin/app
