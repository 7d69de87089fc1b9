# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS win
WORKDIR C:\app

FROM golang:1.22
ARG SRC=/go/src
WORKDIR "/srv/app"
WORKDIR $SRC/app
WORKDIR ${HOME}
RUN go build
