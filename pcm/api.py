"""The REST API at /api/v1/ (see docs/api.md): composed from the apps' routers.

Every route takes `Authorization: Bearer <token>` except POST /auth/token, which issues one, and the
OpenAPI document (/api/v1/openapi.json) and its interactive docs (/api/v1/docs)."""

from ninja import NinjaAPI

from analytics.api import router as analytics_router
from catalog.api import categories_router
from catalog.api import router as products_router
from catalog.assortment_api import router as assortment_router
from core.api import (
    BearerAuth,
    JsonObjectParser,
    auth_router,
    install_error_handlers,
    jobs_router,
    tokens_router,
)
from customers.api import router as customers_router
from leads.api import registrations_router, rules_router
from leads.api import router as leads_router
from mdf.api import router as mdf_router
from orders.api import lead_convert_router
from orders.api import router as orders_router
from partners.access import actor_of
from partners.api import me_router
from partners.api import router as partners_router
from service.api import requests_router as service_requests_router
from service.api import solutions_router
from showroom.api import router as catalog_exports_router

api = NinjaAPI(
    title="OpenPCM API",
    version="1",
    description=(
        "The OpenPCM partner channel management API. Obtain a token with POST /api/v1/auth/token, then "
        'send it as `Authorization: Bearer <token>`. Every list answers `{"items": [...], '
        '"next_cursor": ...}`; validation errors answer 422 `{"detail": "Validation failed", '
        '"errors": {field: [messages]}}`. See docs/api.md.'
    ),
    urls_namespace="api",
    auth=BearerAuth(),
    parser=JsonObjectParser(),
)
install_error_handlers(api)

api.add_router("/auth", auth_router)
api.add_router("/me", me_router)
api.add_router("/tokens", tokens_router)
api.add_router("/partners", partners_router)
api.add_router("/partners", assortment_router)
api.add_router("/customers", customers_router)
api.add_router("/leads", leads_router)
api.add_router("/leads", lead_convert_router)
api.add_router("/dispatch-rules", rules_router)
api.add_router("/deal-registrations", registrations_router)
api.add_router("/products", products_router)
api.add_router("/categories", categories_router)
api.add_router("/catalog/exports", catalog_exports_router)
api.add_router("/mdf", mdf_router)
api.add_router("/analytics", analytics_router)
api.add_router("/orders", orders_router)
api.add_router("/solutions", solutions_router)
api.add_router("/service-requests", service_requests_router)
api.add_router("/jobs", jobs_router(sees_all_jobs=lambda user: actor_of(user).is_admin))
