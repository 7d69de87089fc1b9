FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends sudo
RUN echo "run it with sudo make" && echo 'sudo rm -rf /'
USER app
RUN ["echo", "sudo"]
RUN <<EOF
echo "no sudo here"
# sudo appears in a comment only
EOF
