FROM debian:12
RUN apt-get -fmy install --no-install-recommends apt-utils
RUN apt-get install -fmy --no-install-recommends apt-utils
RUN apt-get install --assume-yes --no-install-recommends apt-utils
RUN ["apt-get", "install", "--yes", "--no-install-recommends", "curl"]
RUN apt-get update && apt-get install tzdata postgresql-15 -y --no-install-recommends
RUN apt-get -qq install --no-install-recommends git
RUN apt-get -o APT::Get::Assume-Yes=true install --no-install-recommends make
RUN yes | apt-get install --no-install-recommends vim
RUN echo "apt-get install curl"
