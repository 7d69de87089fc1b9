FROM nginx:1.27
HEALTHCHECK CMD curl -fsS http://localhost/ || exit 1
HEALTHCHECK --interval=30s --timeout=3s \
  CMD ["curl", "-fsS", "http://localhost/healthz"]
