FROM alpine:3.20
WORKDIR /proc/self/fd
workdir "/dev"
RUN ls
