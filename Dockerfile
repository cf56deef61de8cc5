# misena — production image: API + worker (`misena serve`), or `misena worker` alone.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY sofia_sync ./sofia_sync
COPY workspace ./workspace
COPY alembic.ini ./
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MISENA_PORT=8000
RUN useradd --system --uid 10001 --home-dir /srv/misena misena \
    && mkdir -p /srv/misena/var && chown -R misena /srv/misena
COPY --from=build /install /usr/local
COPY alembic.ini /srv/misena/alembic.ini
WORKDIR /srv/misena
USER misena
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"MISENA_PORT\", \"8000\")}/livez', timeout=4)"]
CMD ["misena", "serve"]
