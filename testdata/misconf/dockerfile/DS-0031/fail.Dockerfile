FROM golang:1.22 AS build
ARG GITHUB_TOKEN
RUN go build ./...

FROM debian:12-slim
ARG FOO=test GITHUB_TOKEN
ENV SECRET_PASSPHRASE=test
ENV DB_PASSWORD changeme
arg VITE_AWS_ACCESS_KEY_ID=REPLACE_ME
COPY ./config $AWS_CONFIG_FILE
COPY src /app/
ENV GOOGLE_APPLICATION_CREDENTIALS="./app/service-account.json"
RUN aws configure set aws_access_key_id AKIAEXAMPLE && \
    aws configure set aws_secret_access_key example
