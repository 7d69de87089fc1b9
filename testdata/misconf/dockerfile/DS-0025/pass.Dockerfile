FROM alpine:3.20
RUN apk add --no-cache python3
RUN apk add bash --no-cache
RUN apk --no-cache add curl
RUN --mount=type=cache,target=/var/cache/apk apk add git
RUN apk update && apk upgrade --no-cache
RUN echo "apk add vim"
