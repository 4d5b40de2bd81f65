"""Fixtures of the API tests: a bearer-token client per user."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from core.models import User
from core.services import api_token_create


class ApiClient:
    """A test client that sends JSON and a user's bearer token."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, params: dict[str, Any] | None = None):
        return self.client.get(path, params or {}, headers=self._headers())

    def delete(self, path: str):
        return self.client.delete(path, headers=self._headers())

    def post(self, path: str, data: Any = None, raw: str | bytes | None = None):
        body = raw if raw is not None else json.dumps(data)
        return self.client.post(path, body, content_type="application/json", headers=self._headers())

    def patch(self, path: str, data: Any = None, raw: str | bytes | None = None):
        body = raw if raw is not None else json.dumps(data)
        return self.client.patch(path, body, content_type="application/json", headers=self._headers())


@pytest.fixture
def api(client):
    """api(user) -> an ApiClient holding a fresh token of that user; api(None) sends no token."""

    def _api(user: User | None) -> ApiClient:
        token = api_token_create(user=user, name="test")[1] if user is not None else None
        return ApiClient(client, token)

    return _api
