FROM debian:12
maintainer Jane Doe <jane@example.com>
RUN true
