FROM fedora:40
RUN set -uex && \
    dnf config-manager --add-repo https://download.docker.com/linux/fedora/docker-ce.repo && \
    dnf install -vy docker-ce
RUN dnf clean all && dnf install -y git
RUN dnf -y install bash && dnf clean all && dnf -y install zsh
