# OpenPCM production image (used by docker-compose.yml).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /app/node_modules/bootstrap/dist/css/bootstrap.min.css static/vendor/
COPY --from=assets /app/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js static/vendor/
COPY --from=assets /app/node_modules/htmx.org/dist/htmx.min.js static/vendor/
COPY --from=assets /app/node_modules/chart.js/dist/chart.umd.min.js static/vendor/
RUN DEBUG=true python manage.py collectstatic --noinput --verbosity 0
RUN useradd --create-home openpcm && mkdir -p var && chown -R openpcm var
USER openpcm
EXPOSE 8000
CMD ["gunicorn", "pcm.wsgi:application", "--bind", "0.0.0.0:8000"]
