FROM ubuntu:24.04
RUN apt-get update && apt-get install -y openssh-server
EXPOSE 80/tcp \
       22/tcp
CMD ["/usr/sbin/sshd", "-D"]
