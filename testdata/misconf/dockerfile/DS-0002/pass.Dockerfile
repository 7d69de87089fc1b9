FROM debian:12 AS build
USER root
RUN make

FROM debian:12-slim
COPY --from=build /out /usr/local/bin/
USER root
RUN apt-get update
user 10001:10001
ENTRYPOINT ["/usr/local/bin/app"]
