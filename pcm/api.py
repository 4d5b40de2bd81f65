"""The REST API at /api/v1/: composed from the apps' routers (see docs/api.md)."""

from ninja import NinjaAPI

api = NinjaAPI(title="OpenPCM API", version="1", urls_namespace="api")
