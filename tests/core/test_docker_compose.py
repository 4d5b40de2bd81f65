"""docker-compose.yml is checked by parsing it: no Docker engine runs in CI."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_five_services_each_with_a_health_check():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
        assert service["healthcheck"]["test"], name


def test_web_runs_gunicorn_on_the_wsgi_app_and_checks_healthz():
    web = compose()["services"]["web"]
    assert "gunicorn pcm.wsgi:application" in web["command"]
    assert "migrate" in web["command"]
    assert "/healthz" in " ".join(web["healthcheck"]["test"])


def test_worker_and_beat_run_the_project_celery_app():
    services = compose()["services"]
    assert services["worker"]["command"].startswith("celery -A pcm worker")
    assert services["beat"]["command"].startswith("celery -A pcm beat")


def test_app_environment_matches_what_settings_read():
    import pcm.settings as s  # noqa: F401  (the names below are the ones settings.py reads)

    source = (ROOT / "pcm" / "settings.py").read_text()
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        for key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "EMAIL_URL"):
            assert key in env, f"{name} lacks {key}"
            assert f'"{key}"' in source, f"settings.py does not read {key}"
        assert env["DEBUG"] == "false"
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert env["DATABASE_URL"].split("@")[1].startswith("postgres:")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert set(services[name]["depends_on"]) == {"postgres", "redis"}


def test_database_credentials_match_the_postgres_service():
    services = compose()["services"]
    pg = services["postgres"]["environment"]
    url = services["web"]["environment"]["DATABASE_URL"]
    assert (
        url
        == f"postgresql://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}"
    )
