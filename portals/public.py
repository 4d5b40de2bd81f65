"""Public pages: the landing redirect, the partner application form, invitation acceptance."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from core.ratelimit import client_ip, limit_exceeded
from partners import services
from portals.adapters import portal_url_for
from portals.forms import HONEYPOT_FIELD, ApplicationForm, InvitationPasswordForm, add_service_errors


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its portal; anonymous visitors on the login page."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    return redirect(portal_url_for(request.user))


def _apply_rate_limited(request: HttpRequest) -> bool:
    """Count one submission from this client address; True when over the hourly limit."""
    return limit_exceeded(
        scope="apply",
        key=client_ip(request),
        limit=settings.APPLY_RATE_LIMIT_PER_HOUR,
        period_seconds=3600,
    )


def _rate_limited_page(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "public/apply_rate_limited.html",
        {"limit": settings.APPLY_RATE_LIMIT_PER_HOUR},
        status=429,
    )
    response["Retry-After"] = "3600"
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """The public partner application. Submissions (valid ones, and bots caught by the honeypot)
    count against a per-address hourly limit; invalid input only gets its errors back."""
    if request.method != "POST":
        return render(request, "public/apply.html", {"form": ApplicationForm(), "honeypot": HONEYPOT_FIELD})
    form = ApplicationForm(request.POST)
    if request.POST.get(HONEYPOT_FIELD, "").strip():
        # A bot: answer exactly as for a real application, store and send nothing.
        if _apply_rate_limited(request):
            return _rate_limited_page(request)
        return redirect("apply_thanks")
    if form.is_valid():
        if _apply_rate_limited(request):
            return _rate_limited_page(request)
        try:
            services.application_submit(**form.cleaned_data)
        except ValidationError as exc:  # ApplicationRefused included: duplicates, invalid data
            add_service_errors(form, exc)
        else:
            return redirect("apply_thanks")
    return render(request, "public/apply.html", {"form": form, "honeypot": HONEYPOT_FIELD})


@login_not_required
@require_GET
def apply_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "public/apply_thanks.html")


@login_not_required
@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """An invited person follows the e-mailed link, chooses a password and lands in their portal.
    The link works once: setting the password invalidates it."""
    user = services.invitation_user(uidb64, token)
    if user is None:
        return render(request, "public/invitation_invalid.html", status=400)
    form = InvitationPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = services.invitation_accept(user=user, password=form.cleaned_data["new_password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to OpenPCM, {user.display_name}. Your password is set.")
        return redirect(portal_url_for(user))
    return render(request, "public/invitation_accept.html", {"form": form, "invited": user})
