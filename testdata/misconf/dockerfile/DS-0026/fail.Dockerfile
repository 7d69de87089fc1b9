FROM golang:1.22 AS build
HEALTHCHECK CMD ["true"]
RUN go build -o /server .

FROM gcr.io/distroless/static:nonroot
COPY --from=build /server /server
ENTRYPOINT ["/server"]
