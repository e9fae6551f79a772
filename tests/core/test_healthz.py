"""/healthz reports database, cache, broker and worker as JSON."""

from __future__ import annotations

from django.urls import reverse


def test_healthy_without_redis_reports_eager_mode(client, db, settings):
    settings.REDIS_URL = ""
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["cache"]["ok"]
    assert "eager" in body["worker"]["mode"]
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_unreachable_broker_answers_503(client, db, settings):
    from aipim.celery import app

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    previous = app.conf.broker_url
    app.conf.broker_url = settings.REDIS_URL
    try:
        response = client.get(reverse("core:healthz"))
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"]["ok"] is False
