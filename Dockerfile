# misena — production image: API + worker (`misena serve`), or the API alone
# (`misena serve --no-worker`) beside `misena worker`, as deploy/ runs it (README, "Deployment").
#
# Start order: PostgreSQL, then `misena migrate` once per release (deploy/k8s/base's Job,
# deploy/compose.yaml's `migrate` service, or `docker run IMAGE misena migrate`), then the API
# and the worker. Started first anyway, they wait: /readyz answers 503 naming the missing
# migration, webhooks get 503 (Sofia Plus retries) and the workers idle until the schema is
# current — no restart needed. Or set MISENA_SCHEMA_ON_START=migrate to have every replica
# migrate at start-up (they take turns on a PostgreSQL advisory lock, so the migration runs once).
#
# Where it writes: with PostgreSQL (production), only /tmp — a roster upload over 8 MiB spills
# to a temporary file there — so the root filesystem can be read-only with /tmp writable
# (deploy/ mounts an emptyDir or a tmpfs). With the default SQLite URL (sqlite:///var/misena.db,
# a single-container trial) the database is /srv/misena/var/misena.db: the VOLUME below.
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
# uid and gid 10001, fixed: Kubernetes' runAsUser/runAsGroup/fsGroup name them (deploy/k8s).
RUN groupadd --system --gid 10001 misena \
    && useradd --system --uid 10001 --gid 10001 --home-dir /srv/misena misena \
    && mkdir -p /srv/misena/var && chown -R misena:misena /srv/misena
COPY --from=build /install /usr/local
COPY alembic.ini /srv/misena/alembic.ini
WORKDIR /srv/misena
VOLUME ["/srv/misena/var"]
USER misena
# 8000: the API (`misena serve`); 8001: /livez, /readyz and /metrics of `misena worker`.
EXPOSE 8000 8001
# /livez fails only when this process's loops are wedged (a database outage is not a reason to
# restart); the probe asks whichever of the two ports this container serves.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u\nfor p in (os.environ['MISENA_PORT'], os.environ['MISENA_WORKER_HEALTH_PORT']):\n    try:\n        u.urlopen(f'http://127.0.0.1:{p}/livez', timeout=4); break\n    except OSError as e:\n        last = e\nelse:\n    raise last"]
CMD ["misena", "serve"]
