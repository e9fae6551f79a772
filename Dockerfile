# Production image of the AIPIM portal: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production STATIC_ROOT=/app/var/static PRIVATE_STORAGE_ROOT=/app/var/private

# WeasyPrint needs Pango; Noto and DejaVu shape Arabic in the PDFs; gettext compiles catalogues.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-noto-core fonts-dejavu-core gettext \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 aipim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY aipim aipim
COPY schools schools
COPY pua pua
COPY portal_sync portal_sync
COPY associations associations
RUN pip install .
COPY . .
# collectstatic needs settings but no real secrets or services at build time.
RUN DJANGO_SECRET_KEY=build DJANGO_ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 FIELD_ENCRYPTION_KEYS=ZmFrZS1idWlsZC1rZXktZmFrZS1idWlsZC1rZXktMTI= \
    python manage.py collectstatic --noinput \
 && mkdir -p /app/var/private && chown -R aipim /app/var
USER aipim
EXPOSE 8000
CMD ["gunicorn", "aipim.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--access-logformat", "%(h)s \"%(m)s %(U)s\" %(s)s %(b)s %(L)ss"]
