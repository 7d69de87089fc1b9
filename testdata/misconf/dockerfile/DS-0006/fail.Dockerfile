FROM node:22 AS deps
RUN npm ci

FROM node:22 as Build
COPY --from=deps /node_modules /node_modules
COPY --from=build \
     /dist /public
RUN npm run build
