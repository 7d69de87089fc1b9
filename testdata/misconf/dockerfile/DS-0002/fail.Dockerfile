FROM debian:12 AS build
USER nobody
RUN make

FROM debian:12-slim
COPY --from=build /out /usr/local/bin/
USER app
RUN apt-get update && \
    apt-get install -y ca-certificates
USER 0:0
ENTRYPOINT ["/usr/local/bin/app"]
