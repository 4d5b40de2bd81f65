"""Showroom settings: the partner's public showroom (address, branding, contact, published) and its OCI
punch-out settings. A partner's managers edit them in the partner portal (/partner/showroom/); channel
admins and the partner's channel managers in the channel portal (/channel/partners/<pk>/showroom/).
Partner employees read them (without the OCI credentials); anyone else gets 404."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import NotAllowed
from core.uploads import check_image_upload, image_response
from partners import selectors as partner_selectors
from partners.models import Partner
from portals.crumbs import Crumb, channel_crumbs, partner_crumbs
from portals.decorators import acting_user, channel_required, partner_required
from portals.forms import add_service_errors
from portals.partner.home import own_partner
from showroom import selectors, services
from showroom.models import LOGO_MAX_BYTES, MAX_OCI_URLS, Showroom

_TEXT = {"class": "form-control"}


class ShowroomSettingsForm(forms.Form):
    """The showroom settings. The OCI password is write-only: empty keeps the stored one."""

    title = forms.CharField(max_length=120, widget=forms.TextInput(attrs=_TEXT))
    slug = forms.SlugField(
        label="Public address",
        max_length=80,
        help_text="Your showroom's address is /showroom/<this>/: lower-case letters, digits and hyphens.",
        widget=forms.TextInput(attrs={**_TEXT, "autocapitalize": "none", "spellcheck": "false"}),
    )
    logo = forms.FileField(
        required=False,
        help_text=f"PNG, JPEG or WebP, at most {LOGO_MAX_BYTES // 2**20} MB. Leave empty to keep the current logo.",
        widget=forms.FileInput(attrs={**_TEXT, "accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(
        label="Remove the current logo",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    brand_colour = forms.RegexField(
        label="Brand colour",
        regex=r"\A#[0-9a-fA-F]{6}\Z",
        error_messages={"invalid": "Enter the colour as # and six hexadecimal digits, e.g. #14406b."},
        help_text="The colour of your showroom's header. Text on it is shown in black or white, whichever is "
        "easier to read.",
        widget=forms.TextInput(attrs={"class": "form-control form-control-color", "type": "color"}),
    )
    introduction = forms.CharField(
        required=False,
        max_length=4000,
        help_text="Plain text; leave a blank line between paragraphs.",
        widget=forms.Textarea(attrs={**_TEXT, "rows": 5}),
    )
    contact_email = forms.EmailField(
        label="Contact e-mail",
        required=False,
        widget=forms.EmailInput(attrs={**_TEXT, "autocomplete": "email"}),
    )
    contact_phone = forms.CharField(
        label="Contact phone",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={**_TEXT, "type": "tel", "autocomplete": "tel"}),
    )
    contact_address = forms.CharField(
        label="Contact address",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={**_TEXT, "rows": 3}),
    )
    published = forms.BooleanField(
        label="Published: the showroom is public and listed in the partner locator",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    oci_allowed_urls = forms.CharField(
        label="Allowed OCI shop URLs",
        required=False,
        help_text=f"One address per line (at most {MAX_OCI_URLS}), e.g. https://shop.example.com/oci. A shop's "
        "HOOK_URL must start with one of them; leave empty to accept no shop.",
        widget=forms.Textarea(attrs={**_TEXT, "rows": 3, "autocapitalize": "none", "spellcheck": "false"}),
    )
    oci_username = forms.CharField(
        label="OCI user name",
        max_length=100,
        required=False,
        help_text="Leave empty if shops need no credentials. Clearing it removes the OCI credentials.",
        widget=forms.TextInput(attrs={**_TEXT, "autocomplete": "off"}),
    )
    oci_password = forms.CharField(
        label="OCI password",
        max_length=128,
        required=False,
        strip=False,
        help_text="At least 8 characters. Leave empty to keep the current password; it is never shown again.",
        widget=forms.PasswordInput(attrs={**_TEXT, "autocomplete": "new-password"}, render_value=False),
    )

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo:
            check_image_upload(logo, max_bytes=LOGO_MAX_BYTES)
        return logo

    def clean_oci_allowed_urls(self) -> list[str]:
        text = self.cleaned_data.get("oci_allowed_urls") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    @classmethod
    def initial_for(cls, showroom: Showroom) -> dict[str, Any]:
        return {
            "title": showroom.title,
            "slug": showroom.slug,
            "brand_colour": showroom.safe_brand_colour,
            "introduction": showroom.introduction,
            "contact_email": showroom.contact_email,
            "contact_phone": showroom.contact_phone,
            "contact_address": showroom.contact_address,
            "published": showroom.published,
            "oci_allowed_urls": "\n".join(showroom.oci_allowed_urls or []),
            "oci_username": showroom.oci_username,
        }

    def service_changes(self) -> dict[str, Any]:
        """The cleaned values as showroom_update's `changes` (the logo only when uploaded or removed)."""
        data = self.cleaned_data
        changes = {
            name: data[name]
            for name in (
                "title",
                "slug",
                "brand_colour",
                "introduction",
                "contact_email",
                "contact_phone",
                "contact_address",
                "published",
                "oci_allowed_urls",
                "oci_username",
                "oci_password",
            )
        }
        if data.get("logo"):
            changes["logo"] = data["logo"]
        elif data.get("remove_logo"):
            changes["logo"] = None
        return changes


def _settings_page(
    request: HttpRequest, partner: Partner, *, breadcrumbs: list[Crumb], page_url: str, logo_url: str
) -> HttpResponse:
    """The settings page of `partner` (already fetched through the access policy): a form for those who
    may edit the showroom, a read-only summary for the partner's other people."""
    can_edit = services.can_edit_showroom(request.user, partner)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("Only the partner's managers and its channel managers edit the showroom.")
    stored = selectors.showroom_of(partner)
    showroom = stored or services.showroom_defaults(partner)
    form = None
    status = 200
    if can_edit:
        if request.method == "POST":
            form = ShowroomSettingsForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    saved = services.showroom_update(
                        partner=partner, actor=acting_user(request), changes=form.service_changes()
                    )
                except NotAllowed as exc:
                    raise PermissionDenied(str(exc))
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    if saved.published:
                        public_url = reverse("showroom:detail", args=[saved.slug])
                        messages.success(
                            request, f"Showroom settings saved. Your showroom is public at {public_url}."
                        )
                    else:
                        messages.success(
                            request, "Showroom settings saved. The showroom is not published yet."
                        )
                    return redirect(page_url)
            status = 400
        else:
            form = ShowroomSettingsForm(initial=ShowroomSettingsForm.initial_for(showroom))
    context = {
        "partner": partner,
        "showroom": showroom,
        "exists": stored is not None,
        "form": form,
        "can_edit": can_edit,
        "page_url": page_url,
        "logo_url": logo_url,
        "breadcrumbs": breadcrumbs,
    }
    return render(request, "portals/partner/showroom/settings.html", context, status=status)


def _logo(partner: Partner) -> HttpResponse:
    showroom = selectors.showroom_of(partner)
    if showroom is None or not showroom.logo:
        raise Http404("No logo.")
    return image_response(showroom.logo)  # type: ignore[return-value]  # a FileResponse streams


# --- Partner portal: the own partner --------------------------------------------------------------


@partner_required
@sensitive_post_parameters("oci_password")
@require_http_methods(["GET", "POST"])
def showroom_settings(request: HttpRequest) -> HttpResponse:
    # Queries: session, user, actor, partner, showroom (+ on POST the manager check and the update).
    partner = own_partner(request)
    return _settings_page(
        request,
        partner,
        breadcrumbs=partner_crumbs(("Showroom", None)),
        page_url=reverse("partner:showroom_settings"),
        logo_url=reverse("partner:showroom_logo"),
    )


@partner_required
@require_GET
def showroom_logo(request: HttpRequest) -> HttpResponse:
    """The own showroom's logo, published or not (the settings page's preview)."""
    return _logo(own_partner(request))


# --- Channel portal: a partner this user may see ---------------------------------------------------


def _visible_partner(request: HttpRequest, pk: int) -> Partner:
    """The partner if this user may see it, else 404 (its existence does not leak)."""
    return get_object_or_404(partner_selectors.visible_partners(request.user), pk=pk)


@channel_required
@sensitive_post_parameters("oci_password")
@require_http_methods(["GET", "POST"])
def partner_showroom_settings(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _visible_partner(request, pk)
    crumbs = channel_crumbs(
        ("Partners", reverse("channel:partner_list")),
        (partner.name, reverse("channel:partner_detail", args=[partner.pk])),
        ("Showroom", None),
    )
    return _settings_page(
        request,
        partner,
        breadcrumbs=crumbs,
        page_url=reverse("channel:partner_showroom", args=[partner.pk]),
        logo_url=reverse("channel:partner_showroom_logo", args=[partner.pk]),
    )


@channel_required
@require_GET
def partner_showroom_logo(request: HttpRequest, pk: int) -> HttpResponse:
    return _logo(_visible_partner(request, pk))
