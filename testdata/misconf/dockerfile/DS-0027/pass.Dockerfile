FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4
RUN microdnf install -y shadow-utils && microdnf clean all
RUN microdnf install bash && microdnf clean all && microdnf install zsh && microdnf clean all
RUN echo "microdnf install tar"
