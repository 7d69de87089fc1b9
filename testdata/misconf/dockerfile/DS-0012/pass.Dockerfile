FROM --platform=linux/amd64 golang:1.22 AS build-a
RUN go build ./cmd/a

FROM golang:1.22-alpine AS build-b
RUN go build ./cmd/b

FROM alpine:3.20
COPY --from=build-a /go/bin/ /usr/local/bin/
