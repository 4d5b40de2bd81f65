"""A fixed-window rate limiter on the cache (Redis in production), for public forms and the API."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # Behind a proxy, configure it to set REMOTE_ADDR (gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def limit_exceeded(scope: str, key: str, *, limit: int, period_seconds: int) -> bool:
    """Count one hit for (scope, key); True once more than `limit` hits fell in the window."""
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}"
    if cache.add(cache_key, 1, timeout=period_seconds):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period_seconds)
        count = 1
    return count > limit
