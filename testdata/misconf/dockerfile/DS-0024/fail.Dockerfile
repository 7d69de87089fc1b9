FROM debian:12
RUN apt-get update && apt-get dist-upgrade -y
RUN apt-get update && apt-get -q dist-upgrade
RUN ["apt-get", "--quiet", "dist-upgrade", "-y"]
RUN apt full-upgrade -y
