# Production image. Migrations are a separate step, run once per release:
#   docker run --rm -e DATABASE_URL=... -e ENVIRONMENT=production -e SECRET_KEY=... chikaya python -m app db upgrade
# then start as many API containers as needed (WEB_CONCURRENCY workers each):
#   docker run -e DATABASE_URL=... -e ENVIRONMENT=production -e SECRET_KEY=... -p 8000:8000 chikaya
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/chikaya
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install . && pip uninstall -y pgserver
COPY alembic.ini ./
COPY migrations ./migrations

RUN useradd --system --uid 10001 --home-dir /srv/chikaya chikaya \
    && mkdir -p /srv/chikaya/attachments \
    && chown chikaya /srv/chikaya/attachments
USER chikaya

# FORWARDED_ALLOW_IPS: set it to the reverse proxy's address (the app applies it, not uvicorn).
# PROMETHEUS_MULTIPROC_DIR: /metrics sums every worker's counters (emptied at each start).
ENV HOST=0.0.0.0 \
    PORT=8000 \
    WEB_CONCURRENCY=2 \
    ENVIRONMENT=production \
    ATTACHMENTS_DIR=/srv/chikaya/attachments \
    PROMETHEUS_MULTIPROC_DIR=/tmp/chikaya-metrics
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz')"
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec uvicorn app.asgi:app --host \"$HOST\" --port \"$PORT\" --workers \"$WEB_CONCURRENCY\" --no-proxy-headers --no-access-log --no-server-header"]
