FROM node:22
WORKDIR /app
COPY package.json package-lock.json /app
COPY ["index.js", "lib.js", \
      "server"]
