FROM golang:1.22 AS build
RUN go build -o /server .

FROM gcr.io/distroless/static:nonroot
COPY --from=build /server /server
HEALTHCHECK --interval=10s CMD ["/server", "-healthcheck"]
ENTRYPOINT ["/server"]
