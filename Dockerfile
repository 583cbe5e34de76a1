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

ENV HOST=0.0.0.0 \
    PORT=8000 \
    WEB_CONCURRENCY=2 \
    ENVIRONMENT=production \
    ATTACHMENTS_DIR=/srv/chikaya/attachments
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz')"
CMD ["sh", "-c", "exec uvicorn app.asgi:app --host \"$HOST\" --port \"$PORT\" --workers \"$WEB_CONCURRENCY\" --proxy-headers --no-server-header"]
