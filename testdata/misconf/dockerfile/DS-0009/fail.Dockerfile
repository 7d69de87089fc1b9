FROM golang:1.22
WORKDIR /go/src
WORKDIR app
workdir ./cmd/server
RUN go build
