# The docker-scan image: the static binary and nothing else, for CI jobs
# and the compose sidecar. Build it with `make image` (offline: no base
# image is pulled).
#
# As a compose sidecar it runs `compose sidecar` by default: mount the
# Docker socket read-only and the project at /project, and keep the
# vulnerability DB in a volume at /cache (see the README).
FROM scratch
COPY bin/docker-scan /docker-scan
ENV DOCKER_SCAN_CACHE_DIR=/cache
# Tells docker scan compose that a service running this image is the
# scanner: its read-only Docker socket and root user are what it needs.
LABEL com.docker-scan.role=sidecar
WORKDIR /project
ENTRYPOINT ["/docker-scan"]
CMD ["compose", "sidecar"]
