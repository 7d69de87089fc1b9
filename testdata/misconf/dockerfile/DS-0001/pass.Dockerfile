# syntax=docker/dockerfile:1
ARG GO_VERSION=1.22
ARG BASE
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
RUN go build -o /app .

FROM build AS test
RUN go test ./...

FROM ${BASE}
FROM alpine:3.20@sha256:0000000000000000000000000000000000000000000000000000000000000000 AS runtime
FROM gcr.io/distroless/static:nonroot
from scratch
COPY --from=build /app /app
