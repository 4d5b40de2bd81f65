"""The OpenAPI document and the interactive docs are served, public, and describe every route."""

from __future__ import annotations


def test_openapi_document_lists_every_route(client, db):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "OpenPCM API"
    paths = schema["paths"]
    assert set(paths) == {
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/partners",
        "/api/v1/partners/{id}",
        # Leads (issue 3)
        "/api/v1/leads",
        "/api/v1/leads/import",
        "/api/v1/leads/{id}",
        *(f"/api/v1/leads/{{id}}/{action}" for action in (
            "dispatch", "proposals", "accept", "decline", "assign", "qualify", "won", "lost"
        )),
        "/api/v1/dispatch-rules",
        "/api/v1/dispatch-rules/{id}",
        "/api/v1/deal-registrations",
        "/api/v1/deal-registrations/{id}",
        "/api/v1/deal-registrations/{id}/approve",
        "/api/v1/deal-registrations/{id}/reject",
        "/api/v1/customers",
        "/api/v1/customers/{id}",
        "/api/v1/jobs/{id}",
        # Catalogue (issue 4)
        "/api/v1/products",
        "/api/v1/products/{id}",
        "/api/v1/products/{id}/image",
        "/api/v1/categories",
        "/api/v1/jobs/{id}/errors",
        "/api/v1/partners/{id}/assortment",
        "/api/v1/catalog/exports",
        "/api/v1/catalog/exports/{id}",
        # Marketing development funds (issue 5)
        "/api/v1/mdf/programs",
        "/api/v1/mdf/programs/{id}",
        "/api/v1/mdf/allocations",
        "/api/v1/mdf/allocations/{id}",
        "/api/v1/mdf/requests",
        "/api/v1/mdf/requests/{id}",
        "/api/v1/mdf/requests/{id}/approve",
        "/api/v1/mdf/requests/{id}/reject",
        "/api/v1/mdf/claims",
        "/api/v1/mdf/claims/{id}",
        "/api/v1/mdf/claims/{id}/files/{file_id}",
        "/api/v1/mdf/claims/{id}/approve",
        "/api/v1/mdf/claims/{id}/reject",
        "/api/v1/mdf/claims/{id}/pay",
        "/api/v1/mdf/journal",
        # Orders (issue 6)
        "/api/v1/orders",
        "/api/v1/orders/{id}",
        *(f"/api/v1/orders/{{id}}/{action}" for action in (
            "submit", "accept", "reject", "confirm", "ship", "deliver", "cancel"
        )),
        "/api/v1/leads/{id}/convert",
        # Service (issue 6)
        "/api/v1/solutions",
        "/api/v1/solutions/{id}",
        "/api/v1/service-requests",
        "/api/v1/service-requests/{id}",
        *(f"/api/v1/service-requests/{{id}}/{action}" for action in ("comments", "escalate", "resolve", "close")),
        "/api/v1/service-requests/{id}/attachments/{file_id}",
        # Analytics (issue 7)
        "/api/v1/analytics/summary",
    }  # fmt: skip
    assert set(paths["/api/v1/mdf/requests"]) == {"get", "post"}
    assert set(paths["/api/v1/mdf/claims"]) == {"get", "post"}
    assert set(paths["/api/v1/partners/{id}/assortment"]) == {"get", "put"}
    assert set(paths["/api/v1/partners"]) == {"get", "post"}
    assert set(paths["/api/v1/leads"]) == {"get", "post"}
    assert set(paths["/api/v1/orders"]) == {"get", "post"}
    assert set(paths["/api/v1/service-requests"]) == {"get", "post"}
    assert {"patch", "delete"} <= set(paths["/api/v1/dispatch-rules/{id}"])
    assert set(paths["/api/v1/partners/{id}"]) == {"get", "patch"}
    assert set(paths["/api/v1/tokens/{id}"]) == {"delete"}


def test_openapi_document_declares_bearer_auth_everywhere_but_login(client, db):
    schema = client.get("/api/v1/openapi.json").json()

    assert schema["components"]["securitySchemes"]["BearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert "security" not in schema["paths"]["/api/v1/auth/token"]["post"]
    assert schema["paths"]["/api/v1/partners"]["get"]["security"] == [{"BearerAuth": []}]


def test_openapi_document_describes_filters_and_errors(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    list_op = schema["paths"]["/api/v1/partners"]["get"]

    params = {p["name"] for p in list_op["parameters"]}
    assert {"tier", "status", "country", "parent", "q", "type", "sort", "limit", "cursor"} <= params
    assert {"200", "401", "422"} <= set(list_op["responses"])
    patch_op = schema["paths"]["/api/v1/partners/{id}"]["patch"]
    assert {"200", "403", "404", "409", "422"} <= set(patch_op["responses"])
    errors = schema["components"]["schemas"]["ValidationErrorOut"]["properties"]
    assert set(errors) == {"detail", "errors"}


def test_interactive_docs_page_loads(client, db):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"/api/v1/openapi.json" in response.content
