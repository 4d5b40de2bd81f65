"""E-mails leave through Celery: a real worker on the real Redis broker delivers the task."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from core.tasks import send_email_task
from pcm.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.redis


@pytest.fixture
def worker(tmp_path):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (CI runs with a real Redis)")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    env = {**os.environ, "EMAIL_URL": f"file://{mail_dir}", "REDIS_URL": settings.REDIS_URL}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pcm",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    celery_app.conf.task_always_eager = False
    try:
        yield queue, mail_dir
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_worker_delivers_queued_email(worker):
    queue, mail_dir = worker
    send_email_task.apply_async(
        kwargs={"to": ["someone@example.org"], "subject": "Delivered by the worker", "body": "hello"},
        queue=queue,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = list(mail_dir.glob("*.log")) if mail_dir.exists() else []
        if files:
            text = files[0].read_text()
            assert "Subject: [OpenPCM] Delivered by the worker" in text or "Delivered by the worker" in text
            assert "someone@example.org" in text
            return
        time.sleep(0.5)
    pytest.fail("the worker did not deliver the e-mail within 60 s")
