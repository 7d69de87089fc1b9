FROM node:20
RUN apt-get install -y python3
RUN ["apt-get", "install", "-y", "apt-utils"]
RUN apt-get update && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata
