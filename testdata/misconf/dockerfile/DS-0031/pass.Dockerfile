FROM golang:1.22 AS build
ARG GITHUB_TOKEN
RUN --mount=type=secret,id=gh,env=GITHUB_TOKEN go build ./...
FROM debian:12-slim
ENV PUBLIC_KEY=abc
ARG public_token
ENV GOOGLE_APPLICATION_CREDENTIALS=/credentials/sa.json
COPY src /src
ENV KEYBOARD=us MONKEY=1
RUN --mount=type=secret,id=aws-key-id,env=AWS_ACCESS_KEY_ID aws configure set aws_access_key_id "$(cat /run/secrets/aws-key-id)"
RUN echo "aws configure set aws_access_key_id x"
