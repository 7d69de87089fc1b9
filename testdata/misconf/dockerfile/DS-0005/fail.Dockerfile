FROM alpine:3.20
ADD app.py /srv/app.py
add --chown=app:app ["config.yaml", "/etc/app/"]
CMD ["python3", "/srv/app.py"]
