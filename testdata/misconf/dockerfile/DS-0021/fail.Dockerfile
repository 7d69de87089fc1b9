FROM debian:12
RUN apt-get update && apt-get install --no-install-recommends python3
RUN ["apt-get", "install", "--no-install-recommends", "curl"]
run apt-get update \
 && apt-get install --no-install-recommends -q git
RUN sh -c "apt-get install --no-install-recommends make"
