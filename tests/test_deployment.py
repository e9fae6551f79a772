"""The production files describe the stack the README promises."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_web_worker_beat_postgres_and_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    assert "gunicorn" in (ROOT / "Dockerfile").read_text()
    assert services["beat"]["command"][:3] == ["celery", "-A", "aipim"] and "beat" in services["beat"]["command"]
    assert "worker" in services["worker"]["command"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DJANGO_ENV"] == "production"


def test_access_log_format_leaves_query_strings_out():
    # %(U)s is the path without the query string, where a search term could be a name.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "%(U)s" in dockerfile and "%(r)s" not in dockerfile
