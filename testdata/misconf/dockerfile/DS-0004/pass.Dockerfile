FROM ubuntu:24.04
EXPOSE 80/tcp 2222 222/udp
expose 8022
CMD ["nginx", "-g", "daemon off;"]
