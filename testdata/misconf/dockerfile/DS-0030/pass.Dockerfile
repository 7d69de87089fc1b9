FROM alpine:3.20
WORKDIR /development
WORKDIR /srv/proc
WORKDIR "/bootstrap"
RUN ls
