# misena — production image: API + worker (`misena serve`), or `misena worker` alone.
#
# Start order: run `misena migrate` once per release (a Kubernetes Job or init container, or
# `docker run IMAGE misena migrate`), then start the replicas. Started first anyway, they wait:
# /readyz answers 503 naming the missing migration, webhooks get 503 (Sofia Plus retries) and
# the workers idle until the schema is current — no restart needed. Or set
# MISENA_SCHEMA_ON_START=migrate to have every replica migrate at start-up (they take turns on a
# PostgreSQL advisory lock, so the migration runs once).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY sofia_sync ./sofia_sync
COPY workspace ./workspace
COPY alembic.ini ./
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MISENA_PORT=8000 MISENA_WORKER_HEALTH_PORT=8001 \
    MISENA_SCHEMA_ON_START=wait
RUN useradd --system --uid 10001 --home-dir /srv/misena misena \
    && mkdir -p /srv/misena/var && chown -R misena /srv/misena
COPY --from=build /install /usr/local
COPY alembic.ini /srv/misena/alembic.ini
WORKDIR /srv/misena
USER misena
# 8000: the API (`misena serve`); 8001: /livez, /readyz and /metrics of `misena worker`.
EXPOSE 8000 8001
# /livez fails only when this process's loops are wedged (a database outage is not a reason to
# restart); the probe asks whichever of the two ports this container serves.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u\nfor p in (os.environ['MISENA_PORT'], os.environ['MISENA_WORKER_HEALTH_PORT']):\n    try:\n        u.urlopen(f'http://127.0.0.1:{p}/livez', timeout=4); break\n    except OSError as e:\n        last = e\nelse:\n    raise last"]
CMD ["misena", "serve"]
