FROM alpine:3.20
ADD rootfs.tar.xz /
ADD https://example.com/tool.tgz /opt/
ADD --keep-git-dir=true git@github.com:example/repo.git /src/
ADD file:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef in /
COPY app.py /srv/app.py
CMD ["python3", "/srv/app.py"]
