FROM node:22
WORKDIR /app
COPY package.json package-lock.json ./
COPY ["index.js", "lib.js", "/app/"]
COPY server.js /app/server
COPY file:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef in /app
