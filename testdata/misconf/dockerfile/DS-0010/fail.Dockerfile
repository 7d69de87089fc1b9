FROM --platform=linux/amd64 debian:12 AS build
RUN apt-get update && sudo apt-get install -y --no-install-recommends make
run echo building \
    && sudo -u builder make

FROM debian:12-slim
RUN ["sudo", "apt-get", "install", "-y", "curl"]
RUN <<EOF
set -e
if [ -d /opt ]; then
  sudo chown -R app /opt
fi
EOF
RUN sh -c "env DEBIAN_FRONTEND=noninteractive sudo true"
