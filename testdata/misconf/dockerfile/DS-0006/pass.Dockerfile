FROM node:22 AS deps
RUN npm ci

FROM node:22 AS build
COPY --from=deps /node_modules /node_modules
COPY --from=nginx:1.27 /etc/nginx/nginx.conf /etc/nginx/
RUN npm run build
