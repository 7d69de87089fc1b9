FROM alpine:3.20
RUN apk add python3
RUN ["apk", "add", "py3-pip"]
RUN apk add --no-cacher bash
RUN apk upgrade --no-cache && apk add curl
RUN apk -X https://dl-cdn.alpinelinux.org/alpine/edge/testing add git
