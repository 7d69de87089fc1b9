FROM python:3.12-slim AS build
RUN pip install -r requirements.txt
FROM python:3.12-slim
RUN python3 -m pip install --upgrade pip
RUN ["pip3", "install", "flask"]
RUN <<EOF
set -e
pip install gunicorn
EOF
