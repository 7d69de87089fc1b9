FROM ubuntu:22.04
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
RUN apk update && apk add --no-cache git
RUN apk --update add easy-rsa
RUN /bin/sh /scripts/build.sh update
RUN sbt update
RUN apt-get update -y ; apt-get install -y --no-install-recommends git
RUN test -f x && apt-get update && apt upgrade --yes
RUN <<EOF
apt-get update
apt-get install -y --no-install-recommends make
EOF
