FROM debian:12
RUN apt-get update && apt-get upgrade -y
RUN echo "never apt-get dist-upgrade"
RUN apt-get install -y dist-upgrade-notes
