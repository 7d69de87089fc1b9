FROM node:20
RUN apt-get -fmy install --no-install-recommends apt-utils
RUN apt-get --no-install-recommends install -fmy apt-utils
RUN ["apt-get", "--yes", "-q", "--no-install-recommends", "install", "apt-utils"]
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata postgresql-15 --no-install-recommends && rm -rf /var/lib/apt/lists/*
RUN apt-get -o APT::Install-Recommends=false install -y curl
