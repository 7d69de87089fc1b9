FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends wget curl
RUN curl -fsSL https://example.com/a -o a
RUN echo "wget is not used here" && curl -fsSLO https://example.com/b
