"""My account: profile, sign-in and security, your data, and deleting the account."""

from dataclasses import dataclass

from allauth.account.decorators import reauthentication_required

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal.lib import personal_data
from portal.lib.ratelimit import too_many_requests
from portal.lib.validation import phone_display
from portal.notifications.constants import NotificationChannel
from portal.notifications.selectors import undeliverable_addresses

from ..forms import AddressForm, ContactPreferenceForm, NameForm, PhoneForm, SupportNeedsForm
from ..mfa import staff_mfa_missing
from ..ratelimits import ACTIONS_BY_URL_NAME, allauth_wait_seconds
from ..selectors import (
    STAFF_ACCESS_MONTHS,
    account_deletion_impact,
    account_sessions,
    data_export_for_token,
    data_export_token,
    data_exports_for,
    mfa_summary,
    profile_initial,
    security_events,
    staff_visits_for,
)
from ..services import (
    ProfileError,
    account_can_be_deleted,
    account_delete,
    account_sessions_end_others,
    contact_check_shown,
    data_export_downloaded,
    data_export_request,
    profile_update,
    support_needs_update,
)

MFA_NEXT_SESSION_KEY = "portal_mfa_next"
DELETED_REFERENCE_SESSION_KEY = "portal_account_deleted_reference"


# Profile


@dataclass(frozen=True)
class ProfileSection:
    form: type[forms.Form]
    template: str
    title: str
    saved: str


PROFILE_SECTIONS = {
    "name": ProfileSection(
        NameForm, "accounts/profile_section.html", "Change your name", "Your name has been updated"
    ),
    "phone": ProfileSection(
        PhoneForm,
        "accounts/profile_section.html",
        "Change your phone number",
        "Your phone number has been updated",
    ),
    "address": ProfileSection(
        AddressForm, "accounts/profile_address.html", "Change your address", "Your address has been updated"
    ),
    "contact-preference": ProfileSection(
        ContactPreferenceForm,
        "accounts/profile_contact_preference.html",
        "How we contact you",
        "We will contact you the way you chose",
    ),
}


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/profile.html",
        {"phone": phone_display(request.user.phone), "undeliverable": undeliverable_addresses(request.user)},
    )


@login_required
def profile_change(request: HttpRequest, section: str) -> HttpResponse:
    spec = PROFILE_SECTIONS.get(section)
    if spec is None:
        raise Http404("No such part of the profile")
    initial = profile_initial(request.user)
    initial["phone"] = phone_display(initial["phone"])
    initial["bill_reminders_by_text"] = request.user.bill_reminders_by_text
    form = spec.form(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            profile_update(user=request.user, by_resident=True, **form.cleaned_data)
        except ProfileError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, spec.saved)
            return redirect("account_profile")
    return render(request, spec.template, {"form": form, "title": spec.title})


@login_required
def support_needs(request: HttpRequest) -> HttpResponse:
    """Extra support a resident needs: optional, explained, and removable at any time."""
    record = request.user.support_needs_or_none
    initial = (
        {"needs": record.needs, "language": record.language, "details": record.details} if record else {}
    )
    form = SupportNeedsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = support_needs_update(user=request.user, **form.cleaned_data)
        messages.success(
            request,
            "We have recorded the support you need" if saved else "You have not asked for extra support",
        )
        return redirect("account_profile")
    return render(request, "accounts/support_needs.html", {"form": form, "title": "Extra support"})


@login_required
@never_cache
def contact_check(request: HttpRequest) -> HttpResponse:
    """Asked once after signing in when Notify could not deliver to the resident's email
    address or phone number: change it, or say it is right and carry on where they were going."""
    next_url = request.GET.get("next", "")
    if not next_url or not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, request.is_secure()
    ):
        next_url = reverse("my_account")
    flags = undeliverable_addresses(request.user)
    if not flags:
        return HttpResponseRedirect(next_url)
    contact_check_shown(user=request.user)
    return render(
        request,
        "accounts/contact_check.html",
        {
            "email_failed": flags.get(NotificationChannel.EMAIL),
            "sms_failed": flags.get(NotificationChannel.SMS),
            "phone": phone_display(request.user.phone),
            "next_url": next_url,
        },
    )


# Sign-in and security


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/security.html",
        {
            "sessions": account_sessions(user=user, current_session_key=request.session.session_key or ""),
            "events": security_events(user=user),
            "mfa": mfa_summary(user=user),
            "has_password": user.has_usable_password(),
            "staff_visits": staff_visits_for(user=user),
            "staff_visit_months": STAFF_ACCESS_MONTHS,
        },
    )


@login_required
@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    ended = account_sessions_end_others(
        user=request.user, current_session_key=request.session.session_key or "", request=request
    )
    if ended:
        messages.success(request, "You have been signed out on all your other devices")
    else:
        messages.info(request, "You were not signed in on any other device")
    return redirect("account_security")


@login_required
def mfa_required(request: HttpRequest) -> HttpResponse:
    """Where staff without 2-step verification land when they try to open an admin."""
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        request.session[MFA_NEXT_SESSION_KEY] = next_url
    if not staff_mfa_missing(request.user):
        return _mfa_next(request)
    return render(request, "accounts/mfa_required.html")


@login_required
def mfa_continue(request: HttpRequest) -> HttpResponse:
    """After setting up 2-step verification, carry on to where the person was going."""
    return _mfa_next(request)


def _mfa_next(request: HttpRequest) -> HttpResponse:
    # A URL, never a view name: redirect() would try to reverse whatever ?next= said.
    next_url = request.session.pop(MFA_NEXT_SESSION_KEY, None)
    return HttpResponseRedirect(next_url) if next_url else redirect("account_security")


# Your data


@login_required
@reauthentication_required(allow_get=True)
def data_export(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        data_export_request(user=request.user, request=request)
        messages.success(
            request,
            "We are preparing a copy of your data. We will email you when it is ready to download",
        )
        return redirect("data_export")
    exports = [
        (export, reverse("data_export_download") + "?t=" + data_export_token(export=export))
        for export in data_exports_for(user=request.user)
    ]
    return render(
        request,
        "accounts/data_export.html",
        {
            "exports": exports,
            "parts": [p for p in personal_data.parts() if p.export is not None],
            "export_days": settings.PORTAL_DATA_EXPORT_DAYS,
        },
    )


@never_cache
@login_required
def data_export_download(request: HttpRequest) -> FileResponse:
    """The file behind a signed link; 404 unless the link is genuine, current and yours."""
    export = data_export_for_token(token=request.GET.get("t", ""), user=request.user)
    if export is None:
        raise Http404("No such download")
    data_export_downloaded(export=export, request=request)
    filename = f"my-data-{timezone.localdate(export.completed_at).isoformat()}.zip"
    return FileResponse(
        export.file.open("rb"), as_attachment=True, filename=filename, content_type="application/zip"
    )


# Deleting the account


@login_required
@reauthentication_required
def account_delete_confirm(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not account_can_be_deleted(user):
        return render(request, "accounts/delete_staff.html", status=403 if request.method == "POST" else 200)
    if request.method == "POST":
        reference = account_delete(user=user, request=request)
        logout(request)
        request.session[DELETED_REFERENCE_SESSION_KEY] = reference
        return redirect("account_deleted")
    parts = list(personal_data.parts())
    return render(
        request,
        "accounts/delete.html",
        {
            "deleted": [p.sentence("deleted") for p in parts if p.deleted],
            "kept": [p.sentence("kept") for p in parts if p.kept],
            "impact": account_deletion_impact(user=user),
        },
    )


def account_deleted(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(DELETED_REFERENCE_SESSION_KEY)
    if not reference or request.user.is_authenticated:
        return HttpResponseRedirect("/")
    return render(request, "accounts/deleted.html", {"reference": reference})


# allauth's rate limits


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """allauth's 429 (``handler429``): "Too many attempts", and when to try again."""
    match = getattr(request, "resolver_match", None)
    action = ACTIONS_BY_URL_NAME.get(match.url_name if match else "")
    return too_many_requests(request, retry_after=allauth_wait_seconds(action))
