# syntax=docker/dockerfile:1
# quiz_backend: one image for the site (gunicorn), the Celery worker and beat.
#   docker build -t quiz-backend .
#   docker compose up -d        (see docker-compose.yml and docs/operations.md)

# --- build: dependencies into a virtualenv ---------------------------------------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

COPY requirements.txt /tmp/requirements.txt
RUN pip install --upgrade pip && pip install -r /tmp/requirements.txt


# --- runtime: the virtualenv, the code, collected static files, non-root ---------
FROM python:3.11-slim AS runtime

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=quiz_backend.settings \
    LOG_DIR=/data/logs \
    MEDIA_ROOT=/data/media \
    CELERY_BROKER_DIR=/data/celery-broker

# FriBiDi lets Pillow (raqm) lay out Hebrew and Arabic on the rendered cards; FFmpeg, FreeType
# and HarfBuzz come inside the av and Pillow wheels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libfribidi0 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /app /data/logs /data/media /data/celery-broker \
    && chown -R app:app /data

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root . /app

# Static files are collected into the image (whitenoise serves them). The key
# values below exist only for this step: settings refuse to load without them
# when DEBUG is off, and nothing is encrypted or signed at build time.
RUN SECRET_KEY=collectstatic-build-only \
    FIELD_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    DEBUG=false \
    LOG_DIR=/tmp/build-logs \
    python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-logs

USER app
EXPOSE 8000
VOLUME ["/data/logs", "/data/media"]

# Health: GET /healthz (docker-compose.yml wires it up for the web service).

# Worker count: WEB_CONCURRENCY (read by gunicorn itself), default 2 x CPUs + 1 is
# a good start; GUNICORN_CMD_ARGS adds any other option.
# The access log names paths without their query strings: the OAuth callback's carries the
# authorization code (/oauth/<platform>/callback/?code=…).
CMD ["gunicorn", "quiz_backend.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", \
     "--access-logformat", "%(h)s %(l)s %(u)s %(t)s \"%(m)s %(U)s %(H)s\" %(s)s %(b)s \"%(a)s\"", \
     "--timeout", "30"]
