FROM --platform=linux/amd64 golang:1.22 AS build
RUN go build ./cmd/a

FROM golang:1.22-alpine as BUILD
RUN go build ./cmd/b

FROM alpine:3.20
COPY --from=build /go/bin/ /usr/local/bin/
