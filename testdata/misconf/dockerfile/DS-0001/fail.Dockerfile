# syntax=docker/dockerfile:1
ARG GO_VERSION=latest
ARG REGISTRY=docker.io
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
RUN go build -o /app .

from ${REGISTRY}/library/debian AS base

FROM alpine
COPY --from=build /app /app
