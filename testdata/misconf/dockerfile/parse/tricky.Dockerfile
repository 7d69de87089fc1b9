# syntax=docker/dockerfile:1
# escape=`
ARG BASE=alpine:3.20
from --platform=$BUILDPLATFORM ${BASE} as build
RUN apk add `
      curl && `
    echo hi
RUN <<EOF
apt-get update
apt-get install -y curl
EOF
COPY --from=build --chown=app:app ["a", "b", "/dst/"]
ONBUILD RUN ["echo", "x"]
CMD ["sh", "-c", "echo"]
FROM scratch
HEALTHCHECK --interval=5s CMD curl -f http://x/ || exit 1
HEALTHCHECK NONE
EXPOSE 80/tcp 22
ENV A=1 B=2
ENV C 3
LABEL a=b
USER 1000:1000
