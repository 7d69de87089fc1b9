FROM fedora:40
RUN dnf install -y docker-ce && dnf clean all
RUN dnf install bash && dnf clean all && dnf install zsh && dnf clean all
RUN --mount=type=cache,target=/var/cache/dnf dnf install -y git
RUN microdnf install -y git && microdnf clean all
