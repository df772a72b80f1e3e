# syntax=docker/dockerfile:1.7
# Multi-stage build: wheels are built in a full image, the runtime image is slim and runs as non-root.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
COPY emails ./emails
# The wheel bundles migrations/ and emails/ inside the package (see pyproject.toml).
RUN pip install --no-deps .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000
RUN groupadd --system --gid 10001 cohort \
 && useradd --system --uid 10001 --gid cohort --home-dir /app --shell /usr/sbin/nologin cohort
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
USER cohort
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"
# `cohort api` for the HTTP API, `cohort worker` for background jobs, `cohort db upgrade` for migrations.
CMD ["cohort", "api"]
