FROM nginx:1.27 AS base
HEALTHCHECK NONE

FROM base
healthcheck --interval=30s --timeout=3s \
  CMD ["curl", "-fsS", "http://localhost/healthz"]
