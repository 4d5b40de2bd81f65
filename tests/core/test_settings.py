"""Settings come from the environment; production refuses a weak SECRET_KEY."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG = "k3J#9vQz!pW2mX7rT5yL0bN8cF4hD6gS1aE-uI+oP=zC&vB^nM"


def load_settings(**env):
    """Import pcm.settings in a fresh interpreter with exactly these variables; return (code, output)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"}
    }
    clean.update(env)
    code = (
        "import json, pcm.settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'db': s.DATABASES['default']['ENGINE'], "
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, 'mail': s.EMAIL_BACKEND, "
        "'cache': s.CACHES['default']['BACKEND'], 'hosts': s.ALLOWED_HOSTS}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def test_debug_off_without_secret_key_refuses_to_start():
    code, out = load_settings(DEBUG="false")
    assert code != 0
    assert "SECRET_KEY must be set" in out


@pytest.mark.parametrize("weak", ["short", "django-insecure-" + "x" * 60, "a" * 60])
def test_debug_off_with_weak_secret_key_refuses_to_start(weak):
    code, out = load_settings(DEBUG="false", SECRET_KEY=weak)
    assert code != 0
    assert "SECRET_KEY is too weak" in out


def test_debug_off_with_strong_key_starts_in_full_mode():
    import json

    code, out = load_settings(
        DEBUG="false",
        SECRET_KEY=STRONG,
        ALLOWED_HOSTS="pcm.example.com",
        DATABASE_URL="postgresql://u:p@db:5432/openpcm",
        REDIS_URL="redis://redis:6379/0",
        EMAIL_URL="smtp://mailer:secret@smtp.example.com:587",
    )
    assert code == 0, out
    loaded = json.loads(out.strip().splitlines()[-1])
    assert loaded["debug"] is False
    assert loaded["db"] == "django.db.backends.postgresql"
    assert loaded["eager"] is False
    assert loaded["broker"] == "redis://redis:6379/0"
    assert loaded["mail"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["hosts"] == ["pcm.example.com"]


def test_embedded_default_is_sqlite_with_inline_tasks():
    import json

    code, out = load_settings()
    assert code == 0, out
    loaded = json.loads(out.strip().splitlines()[-1])
    assert loaded["db"] == "django.db.backends.sqlite3"
    assert loaded["eager"] is True
    assert loaded["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_unknown_email_url_scheme_is_refused():
    code, out = load_settings(EMAIL_URL="pigeon://loft")
    assert code != 0
    assert "EMAIL_URL must start with" in out
