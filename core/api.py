"""What every API router shares: bearer authentication, the error and page envelopes, the error
handlers that give every failure one JSON shape, and the auth and token routes.

Error shapes (docs/api.md):
- 4xx with a message: {"detail": "..."}
- 422 validation: {"detail": "Validation failed", "errors": {"field": ["message", ...]}}, the same for
  schema errors (pydantic, raised by django-ninja) and for the services' django ValidationError.
"""

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Generic, TypeVar

from allauth.account.utils import has_verified_email
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import AfterValidator

from core.errors import InvalidTransition, NotAllowed
from core.jobs import job_error_report, visible_jobs
from core.models import ApiToken, Job, User
from core.paging import InvalidCursor, Page, keyset_page
from core.ratelimit import client_ip, limit_exceeded
from core.services import api_token_authenticate, api_token_create, api_token_revoke

# Ids are 64-bit; a larger number in a path or filter cannot name a row (and would overflow the
# database driver), so it is answered like any id that does not exist.
MAX_ID = 2**63 - 1
VALIDATION_FAILED = "Validation failed"
NOT_FOUND = "Not found."

M = TypeVar("M", bound=models.Model)
ItemT = TypeVar("ItemT")


# --- Input types -----------------------------------------------------------------------------


def _reject_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL characters; refuse them here instead of failing in the driver.
    if "\x00" in value:
        raise ValueError("Must not contain NUL characters.")
    return value


CleanStr = Annotated[str, AfterValidator(_reject_nul)]


def _country_code(value: str) -> str:
    if not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise ValueError("Enter a two-letter country code (ISO 3166 alpha-2), e.g. DE.")
    return value.upper()


# Two letters, upper-cased; whether the code is a country is the model's check (COUNTRY_CHOICES).
CountryCode = Annotated[
    str,
    AfterValidator(_country_code),
    Field(
        json_schema_extra={"pattern": "^[A-Za-z]{2}$"},
        description="ISO 3166 alpha-2 country code, e.g. DE.",
    ),
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- Envelopes -------------------------------------------------------------------------------


class ErrorOut(Schema):
    """Any error with a message: 400, 401, 403, 404, 409, 429."""

    detail: str


class ValidationErrorOut(Schema):
    """422: what was wrong, per field (`__all__` for the request as a whole)."""

    detail: str = Field(examples=[VALIDATION_FAILED])
    errors: dict[str, list[str]] = Field(
        examples=[{"country": ["Enter a two-letter country code (ISO 3166 alpha-2), e.g. DE."]}]
    )


class PageOut(Schema, Generic[ItemT]):
    """One page of a list. `next_cursor` is null on the last page; pass it as `cursor` for the next."""

    items: list[ItemT]
    next_cursor: str | None


class PageIn(Schema):
    """Keyset paging parameters shared by every list."""

    limit: int = Field(50, ge=1, le=200, description="Rows per page, 1 to 200.")
    cursor: CleanStr | None = Field(
        None, max_length=500, description="The `next_cursor` of the previous page; omit for the first page."
    )


# Bodies of common failures, for the OpenAPI `responses` of each route.
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ValidationErrorOut,
}


def validation_failed(errors: dict[str, list[str]]) -> dict[str, Any]:
    return {"detail": VALIDATION_FAILED, "errors": errors}


# --- Paging ------------------------------------------------------------------------------------


def keyset_page_or_422(queryset: QuerySet[M], *, order: str, paging: PageIn) -> Page[M]:
    """core.paging.keyset_page for the API: a cursor that was not made for this list answers 422."""
    try:
        return keyset_page(queryset, order=order, after=paging.cursor or None, size=paging.limit)
    except InvalidCursor:
        raise ValidationError(
            {"cursor": "This cursor is not valid for this list and sort order; start again without a cursor."}
        )


def page_out(page: Page[M]) -> dict[str, Any]:
    return {"items": list(page.items), "next_cursor": page.next_cursor}


# --- Authentication ----------------------------------------------------------------------------


class BearerAuth(HttpBearer):
    """`Authorization: Bearer <token>`: a token made by core.services.api_token_create, not revoked,
    of an active user. The user becomes `request.user`, so the access policy applies as in the portals."""

    def __call__(self, request: HttpRequest) -> User | None:
        # Parsed here rather than by HttpBearer, which logs an unexpected header (a credential) in DEBUG.
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token.strip())
        if user is None:
            return None
        request.user = user
        return user


def current_user(request: HttpRequest) -> User:
    """The token's user (BearerAuth has run on every authenticated route)."""
    user = request.user
    assert isinstance(user, User)
    return user


class JsonObjectParser(Parser):
    """Request bodies are JSON objects; anything else is refused as unparseable (400)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("the request body is not a JSON object")
        return data


# --- Error handlers ----------------------------------------------------------------------------


class TooManyRequests(HttpError):
    """429 with a Retry-After header (seconds)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(429, message)


_PYDANTIC_MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
}


def _field_of(loc: tuple[Any, ...]) -> str:
    """The request field an error is about: ("body", "payload", "country") -> "country",
    ("query", "limit") -> "limit". Bodies and query strings are flat, so the top-level name is the
    field; what pydantic appends after it (union members, list indexes) is left out."""
    parts = [str(p) for p in loc[1:]]
    if loc and loc[0] == "body" and parts and parts[0] == "payload":
        parts = parts[1:]
    return parts[0] if parts else NON_FIELD_ERRORS


def _pydantic_message(error: dict[str, Any]) -> str:
    message = _PYDANTIC_MESSAGES.get(error.get("type", ""))
    if message:
        return message
    text = str(error.get("msg", "Invalid value."))
    return text.removeprefix("Value error, ")


def _json_error(api: NinjaAPI, request: HttpRequest, body: dict[str, Any], status: int) -> HttpResponse:
    return api.create_response(request, body, status=status)


def _on_schema_error(request: HttpRequest, exc: NinjaValidationError, *, api: NinjaAPI) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_of(tuple(error.get("loc", ()))), []).append(_pydantic_message(error))
    return _json_error(api, request, validation_failed(errors), 422)


def _on_service_validation_error(
    request: HttpRequest, exc: ValidationError, *, api: NinjaAPI
) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    else:
        errors = {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}
    return _json_error(api, request, validation_failed(errors), 422)


def _on_not_found(request: HttpRequest, exc: Exception, *, api: NinjaAPI) -> HttpResponse:
    return _json_error(api, request, {"detail": NOT_FOUND}, 404)


def _on_not_allowed(request: HttpRequest, exc: NotAllowed, *, api: NinjaAPI) -> HttpResponse:
    return _json_error(api, request, {"detail": str(exc) or "You may not do this."}, 403)


def _on_invalid_transition(request: HttpRequest, exc: InvalidTransition, *, api: NinjaAPI) -> HttpResponse:
    return _json_error(api, request, {"detail": str(exc)}, 409)


def _on_integrity_error(request: HttpRequest, exc: IntegrityError, *, api: NinjaAPI) -> HttpResponse:
    # Two requests raced past the same uniqueness check; the database kept one. Nothing was saved.
    return _json_error(
        api,
        request,
        {"detail": "This conflicts with another record that was saved at the same time; try again."},
        409,
    )


def _on_authentication_error(
    request: HttpRequest, exc: AuthenticationError, *, api: NinjaAPI
) -> HttpResponse:
    response = _json_error(
        api,
        request,
        {
            "detail": (
                "Authentication required: send the header “Authorization: Bearer <token>” with a valid token."
            )
        },
        401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _on_http_error(request: HttpRequest, exc: HttpError, *, api: NinjaAPI) -> HttpResponse:
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = "The request body must be a JSON object (Content-Type: application/json)."
    response = _json_error(api, request, {"detail": message}, exc.status_code)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


def install_error_handlers(api: NinjaAPI) -> None:
    """Give every failure of the API the shapes documented in docs/api.md."""
    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (NinjaValidationError, _on_schema_error),
        (ValidationError, _on_service_validation_error),
        (Http404, _on_not_found),
        (ObjectDoesNotExist, _on_not_found),
        (NotAllowed, _on_not_allowed),
        (InvalidTransition, _on_invalid_transition),
        (IntegrityError, _on_integrity_error),
        (AuthenticationError, _on_authentication_error),
        (HttpError, _on_http_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, partial(handler, api=api))


# --- Auth: exchange e-mail and password for a token ---------------------------------------------

auth_router = Router(tags=["auth"])

BAD_CREDENTIALS = "Invalid e-mail address or password."


class TokenLoginIn(Schema):
    email: CleanStr = Field(max_length=254, examples=["pm@alpine.example"])
    password: CleanStr = Field(max_length=4096, examples=["demo-pass-2026"])


class TokenIssuedOut(Schema):
    token: str = Field(description="The bearer token. It is shown only here, once: keep it safe.")


@auth_router.post(
    "/token",
    auth=None,
    response={200: TokenIssuedOut, 400: ErrorOut, 401: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Exchange e-mail and password for a bearer token",
)
def token_obtain(request: HttpRequest, payload: TokenLoginIn) -> Any:
    """Log in with the portal's e-mail address and password and receive a new bearer token, named
    "API login <date>" in your profile. Rate-limited per client address and per e-mail address."""
    email = payload.email.strip().lower()
    limit = settings.API_TOKEN_RATE_LIMIT_PER_MINUTE
    # Count the attempt against both keys, so that neither one address nor one account can be hammered.
    over_ip = limit_exceeded("api_token_ip", client_ip(request), limit=limit, period_seconds=60)
    over_email = limit_exceeded("api_token_email", email, limit=limit, period_seconds=60)
    if over_ip or over_email:
        raise TooManyRequests("Too many login attempts; wait a minute and try again.", retry_after=60)
    user = authenticate(request, email=email, password=payload.password)
    if not isinstance(user, User) or not user.is_active:
        raise HttpError(401, BAD_CREDENTIALS)
    if not has_verified_email(user, user.email):
        raise HttpError(
            401, "Your e-mail address is not verified yet; follow the link in your invitation first."
        )
    _token, raw = api_token_create(user=user, name=f"API login {timezone.localdate():%Y-%m-%d}")
    return {"token": raw}


# --- Tokens: the caller's own ---------------------------------------------------------------------

tokens_router = Router(tags=["tokens"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenPageOut(PageOut[TokenOut]):
    pass


@tokens_router.get("", response={200: TokenPageOut, **READ_ERRORS}, summary="List my API tokens")
def token_list(request: HttpRequest, paging: Query[PageIn]) -> Any:
    """Your tokens, newest first, revoked ones included (with `revoked_at`)."""
    qs = ApiToken.objects.filter(user=current_user(request))
    return page_out(keyset_page_or_422(qs, order="-created_at", paging=paging))


@tokens_router.delete("/{id}", response={200: TokenOut, **READ_ERRORS}, summary="Revoke one of my API tokens")
def token_revoke(request: HttpRequest, id: int) -> Any:
    """Revoke a token of yours; it stops working at once. Revoking twice changes nothing. Another
    person's token answers 404."""
    user = current_user(request)
    if not 1 <= id <= MAX_ID:
        raise Http404
    token = ApiToken.objects.filter(user=user, pk=id).first()
    if token is None:
        raise Http404
    return api_token_revoke(token=token, actor=user)


# --- Jobs: background work the caller started ---------------------------------------------------


class JobOut(Schema):
    """A background job (a CSV import) and how far it got."""

    id: int
    kind: str = Field(description="What the job does, e.g. lead_import.")
    title: str
    status: str = Field(description="queued, running, done or failed.")
    progress: int = Field(description="Percent of the rows worked through, 0 to 100.")
    done: int = Field(description="Rows worked through so far.")
    total: int = Field(description="Rows to work through.")
    ok_count: int = Field(description="Rows taken (e.g. leads imported).")
    skipped_count: int = Field(description="Rows left out on purpose (e.g. already imported).")
    error_count: int = Field(description="Rows refused, each listed in the error report.")
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error_report: str | None = Field(
        description="URL of the CSV report of the rows not taken (line, reason); null when there are none."
    )


def job_out(request: HttpRequest, job: Job) -> dict[str, Any]:
    """A job as the API shows it (for the routes that answer a job, such as POST /leads/import)."""
    report = None
    if job.errors:
        report = request.build_absolute_uri(reverse("api:job_error_report", kwargs={"id": job.pk}))
    return {
        "id": job.pk, "kind": job.kind, "title": job.title, "status": job.status, "progress": job.progress,
        "done": job.done, "total": job.total, "ok_count": job.ok_count, "skipped_count": job.skipped_count,
        "error_count": job.error_count, "message": job.message, "created_at": job.created_at,
        "started_at": job.started_at, "finished_at": job.finished_at, "error_report": report,
    }  # fmt: skip


def jobs_router(*, sees_all_jobs: Callable[[User], bool]) -> Router:
    """The /jobs routes. `sees_all_jobs(user)` is the access policy's answer to "may this user watch
    every job" (channel admins); pcm.api passes it, since core cannot import partners.access."""
    router = Router(tags=["jobs"])

    def fetch(request: HttpRequest, id: int) -> Job:
        user = current_user(request)
        if not 1 <= id <= MAX_ID:
            raise Http404
        job = visible_jobs(user, sees_all=sees_all_jobs(user)).filter(pk=id).first()
        if job is None:
            raise Http404
        return job

    @router.get("/{id}", response={200: JobOut, **READ_ERRORS}, summary="One job and its progress")
    def job_detail(request: HttpRequest, id: int) -> Any:
        """A job you started (channel admins: any job): status, progress, counts and the link to
        its error report. Poll it until `status` is done or failed. Other ids answer 404."""
        return job_out(request, fetch(request, id))

    @router.get(
        "/{id}/errors",
        response={200: None, **READ_ERRORS},
        summary="A job's error report (CSV)",
        url_name="job_error_report",
        openapi_extra={"responses": {200: {"description": "CSV: line,reason", "content": {"text/csv": {}}}}},
    )
    def job_error_report_csv(request: HttpRequest, id: int) -> HttpResponse:
        """The rows the job did not take, as CSV with the columns `line` and `reason`."""
        job = fetch(request, id)
        response = StreamingHttpResponse(job_error_report(job=job), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-errors.csv"'
        return response  # type: ignore[return-value]

    return router
