FROM python:3.12-slim
ENTRYPOINT ["python3"]
RUN pip install --no-cache-dir flask
ENTRYPOINT python3 -m flask \
    run --host=0.0.0.0
