FROM python:3.12-slim AS base
ENTRYPOINT ["python3"]

FROM base
entrypoint ["python3", "-m", "flask", "run"]
