FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4
RUN set -uex && microdnf install -y shadow-utils
RUN microdnf clean all && microdnf install -y tar
RUN microdnf install bash && microdnf clean all && microdnf install zsh
