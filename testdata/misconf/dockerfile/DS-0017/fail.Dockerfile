FROM ubuntu:22.04
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl
RUN ["apt-get", "update"]
RUN apk update && adduser -D app
RUN dnf update -y
RUN zypper up -y
RUN apt-get update && apt-get install -y git && apt-get update
