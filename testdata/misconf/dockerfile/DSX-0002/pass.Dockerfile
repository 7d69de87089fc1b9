FROM python:3.12-slim AS build
RUN pip install --no-cache-dir -r requirements.txt
RUN PIP_NO_CACHE_DIR=1 pip install flask
RUN --mount=type=cache,target=/root/.cache/pip pip install gunicorn
FROM python:3.12-slim
ENV PIP_NO_CACHE_DIR=1
RUN pip install uvicorn
RUN echo "pip install x" && pip --version
