"""Staff reach residents' data only through the case queue's rule, on every admin URL.

Every admin URL (Wagtail's under /admin/, Django's under /django-admin/) that takes a
parameter is walked from the URL resolver. Each one that names a case, an assisted contact,
a payment, a bill, a file or a resident is in ``CHECKS``, with how to build it for a Waste
team's case; the others are in ``NOT_RESIDENT_DATA`` with the reason. A new admin URL with a
parameter must go in one of them, or ``test_every_admin_url_with_an_identifier_is_checked``
fails.

For each checked URL, a Parking officer (signed in through the real forms, with 2-step
verification) gets 404, exactly as for an id that does not exist, or, where their role has
no access to that kind of record at all (residents' accounts, the Django admin's models),
Wagtail's or Django's refusal, which shows nothing of it; what they post changes nothing;
and the person whose work it is (a Waste officer, Finance, or a superuser for accounts)
gets 200.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django_tasks_db.models import DBTaskResult

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from wagtail.admin.models import EditingSession
from wagtail.models import ModelLogEntry

from accounts.models import SupportNeeds
from accounts.services import support_needs_update
from forms_engine.models import FormVersion, ServiceForm, Submission
from payments.models import Bill, Payment, Refund
from portal.cases.models import Case, CaseAttachment, CaseEvent, CaseSupportNeeds
from portal.cases.services import case_message_send, case_staff_transition
from portal.integrations.constants import ApiScope, DeliveryStatus, DestinationKind
from portal.integrations.models import ApiClient, Delivery, Destination
from portal.integrations.services.api_keys import api_client_create
from portal.interactions.constants import Channel
from portal.interactions.models import AssistedContact, Interaction
from portal.interactions.services import assisted_contact_record
from portal.notifications.models import InboundText
from tests.accounts.factories import StaffFactory, UserFactory, mfa_totp_add
from tests.accounts.signin import sign_in
from tests.payments.factories import bill_make, fee_case
from tests.portal.cases.factories import case_make, officer_in, staff_in, team_make

pytestmark = pytest.mark.django_db

ADMIN_PREFIXES = ("admin/", "django-admin/")
NOTES = "Uses a wheelchair; call after 2pm"
RESIDENT_EMAIL = "pat.lee@example.org"
RESIDENT_NAME = "Pat Lee"

NOT_FOUND = "404"  # the officer is told nothing: the same 404 as for an id that does not exist
# Their role has no access to this kind of record at all (user accounts, the Django admin's
# models): Wagtail's or Django's own refusal, which shows nothing of the record.
DENIED = "denied"


@dataclass
class World:
    """A Waste team's case, with everything staff can reach about its resident."""

    resident: object
    case: Case
    other_case: Case
    attachment: CaseAttachment
    contact: AssistedContact
    payment: Payment
    bill: Bill
    email: EmailAddress
    authenticator: Authenticator
    user_session: UserSession
    task_result: DBTaskResult


def _paid_fee_case(*, resident, team):
    from payments.models import SandboxCheckout
    from payments.providers.sandbox import sandbox_card_submit
    from payments.services import payment_start, payment_status_sync

    case, payment = fee_case(resident=resident, team=team, amount_pence=4000)
    payment = payment_start(payment=payment)
    sandbox_card_submit(
        checkout=SandboxCheckout.objects.get(pk=payment.provider_id), card_number="4242424242424242"
    )
    payment = payment_status_sync(payment=payment)
    case.refresh_from_db()
    return case, payment


@pytest.fixture
def world(django_capture_on_commit_callbacks, waste, parking, waste_officer) -> World:
    resident = UserFactory(email=RESIDENT_EMAIL, full_name=RESIDENT_NAME)
    support_needs_update(user=resident, needs=["other"], details=NOTES)
    mfa_totp_add(resident)
    with django_capture_on_commit_callbacks(execute=True):
        case, payment = _paid_fee_case(resident=resident, team=waste)
    case_staff_transition(case=case, actor=waste_officer, to="in_progress")
    case_staff_transition(case=case, actor=waste_officer, to="awaiting_resident", message="Which bins?")
    upload = SimpleUploadedFile("letter.pdf", b"%PDF-1.4\n%%EOF\n")
    upload.checked_content_type, upload.checked_extension = "application/pdf", "pdf"
    case_message_send(case=case, user=resident, message="Here is the letter", files=[upload])
    contact = assisted_contact_record(
        staff=waste_officer,
        channel=Channel.PHONE,
        service_code=528,
        reason_code="8",
        avoidable=False,
        resolved_first_contact=True,
        resident=resident,
        case_reference=case.reference,
        notes=NOTES,
    )
    _integrations_make(case)
    return World(
        resident=resident,
        case=Case.objects.get(pk=case.pk),
        other_case=case_make(team=parking),
        attachment=case.attachments.get(),
        contact=AssistedContact.objects.get(pk=contact.pk),
        payment=payment,
        bill=bill_make(payer_name=RESIDENT_NAME),
        email=EmailAddress.objects.get(user=resident),
        authenticator=Authenticator.objects.filter(user=resident).first(),
        user_session=UserSession.objects.create(
            user=resident, ip="192.0.2.1", session_key="k" * 32, user_agent="Firefox"
        ),
        task_result=DBTaskResult.objects.create(
            enqueued_at=timezone.now(),
            run_after=timezone.now() + timedelta(days=1),
            args_kwargs={"args": [], "kwargs": {"case_id": case.pk}},
            task_path="portal.cases.tasks.send_deadline_digests",
            backend_name="default",
        ),
    )


def _integrations_make(case) -> None:
    """The case delivered to a back office (failed), and an API client: the integrations' screens."""
    form = ServiceForm.objects.create(title="Book a bulky waste collection", slug="visibility-check")
    version = FormVersion.objects.create(form=form, number=1, schema={"steps": []})
    submission = Submission.objects.create(
        version=version, case=case, answers={}, idempotency_key=uuid.uuid4()
    )
    destination = Destination.objects.create(
        form=form, name="Waste system", kind=DestinationKind.WEBHOOK, url="https://waste.example/hook"
    )
    Delivery.objects.create(
        destination=destination,
        submission=submission,
        case=case,
        status=DeliveryStatus.FAILED,
        attempts=10,
        last_error="HTTP 500",
    )
    api_client_create(name="Waste system", scopes=[ApiScope.CASE_UPDATES], created_by=None)


@pytest.fixture
def waste():
    return team_make("Waste", "waste@council.example")


@pytest.fixture
def parking():
    return team_make("Parking", "parking@council.example")


@pytest.fixture
def waste_officer(waste):
    return officer_in(waste, full_name="Wendy Waste")


@pytest.fixture
def parking_officer(parking):
    return officer_in(parking, full_name="Percy Parking")


# --- How to build each URL -----------------------------------------------------------------------


def _missing(value):
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    return type(value)(999999) if isinstance(value, int) else "999999"


def url_for(
    name: str,
    ident: Callable[[World], object],
    *,
    kwarg: str = "pk",
    extra: Callable[[World], dict] | None = None,
    query: str = "",
) -> Callable[[World, bool], str]:
    """A builder: ``name`` reversed for the object ``ident`` picks (or an id that does not exist)."""

    def build(w: World, missing: bool = False) -> str:
        value = ident(w)
        value = _missing(value) if missing else value
        kwargs = dict(extra(w) if extra else {})
        if query:
            return reverse(name, kwargs=kwargs) + query.format(id=value)
        return reverse(name, kwargs={**kwargs, kwarg: value})

    return build


def route(template: str, ident: Callable[[World], object]) -> Callable[[World, bool], str]:
    """A builder for an unnamed pattern, from its route with ``{id}`` in place of the object."""

    def build(w: World, missing: bool = False) -> str:
        value = ident(w)
        return template.format(id=_missing(value) if missing else value)

    return build


@dataclass(frozen=True)
class Check:
    build: Callable[[World, bool], str]
    allowed: str | None  # who gets 200: "officer" (the case's team), "finance", "superuser"; None: nobody
    refusal: str = NOT_FOUND
    # A write that would change something if it were allowed (or how to make one for a world).
    post: dict | Callable[[World], dict] = field(default_factory=dict)
    method: str = "get"  # how the allowed person opens it (POST-only URLs are only posted to)


def _case(w):
    return w.case.pk


def _contact(w):
    return w.contact.pk


def _payment(w):
    return w.payment.pk


def _bill(w):
    return w.bill.pk


def _resident(w):
    return w.resident.pk


def _delivery(w):
    return Delivery.objects.get(case=w.case).pk


def _destination(w):
    return Delivery.objects.get(case=w.case).destination_id


def _api_client(w):
    return ApiClient.objects.get(name="Waste system").pk


def _inbound_text(w):
    text, _ = InboundText.objects.get_or_create(
        notify_id="visibility-check",
        defaults={
            "source_number": "447700900982",
            "phone_digits": "07700900982",
            "message": "Here is the letter",
            "date_received": timezone.now(),
            "outcome": "triage",
            "user": w.resident,
        },
    )
    return text.pk


CONTACT_ANSWERS = {
    "channel": "phone",
    "service_code": "528",
    "reason_code": "8",
    "avoidable": "yes",
    "avoidable_category": "progress_chasing",
    "resolved_first_contact": "no",
    "notes": "Changed by another team",
    "satisfaction": "1",
}


READ_ONLY_IN_DJANGO_ADMIN = {"django_tasks_database/dbtaskresult"}  # its admin deletes nothing


def _django_admin(model: str, ident, *, allowed="superuser") -> dict[str, Check]:
    """The change, delete and history pages of a model in the Django admin, and its bare id URL."""
    app_model = model.replace("/", "_")
    checks = {
        f"admin:{app_model}_change": Check(
            url_for(f"admin:{app_model}_change", ident, kwarg="object_id"),
            allowed,
            DENIED,
            {"email": "x@y.z"},
        ),
        f"admin:{app_model}_delete": Check(
            url_for(f"admin:{app_model}_delete", ident, kwarg="object_id"),
            None if model in READ_ONLY_IN_DJANGO_ADMIN else allowed,
            DENIED,
            {"post": "yes"},
        ),
        f"admin:{app_model}_history": Check(
            url_for(f"admin:{app_model}_history", ident, kwarg="object_id"), allowed, DENIED
        ),
        f"django-admin/{model}/<path:object_id>/": Check(
            route(f"/django-admin/{model}/{{id}}/", ident), None, "redirect"
        ),
    }
    return checks


CHECKS: dict[str, Check] = {
    # Cases: the queue's own rule.
    "cases_admin:case": Check(url_for("cases_admin:case", _case), "officer", post={"action": "assign_me"}),
    "contact_centre:case_contact": Check(
        url_for("contact_centre:case_contact", _case), "officer", post=CONTACT_ANSWERS
    ),
    # Resident records: the Contact centre group only, and only for the caller of the agent's
    # own open call once their identity is checked (tests/portal/contact_centre/test_calls.py).
    # Without a call, even a superuser is sent to take one first, so nobody gets 200 here.
    "contact_centre:call_identify": Check(
        url_for("contact_centre:call_identify", _resident, kwarg="resident_id"),
        None,
        DENIED,
        {"action": "choose"},
    ),
    "contact_centre:draft_resume": Check(
        url_for("contact_centre:draft_resume", lambda w: uuid.UUID(int=1), kwarg="draft"),
        None,
        DENIED,
        {"consent": "on"},
    ),
    # A text a resident sent to the council's number: the Contact centre group (and superusers).
    "contact_centre:text": Check(
        url_for("contact_centre:text", _inbound_text),
        "superuser",
        DENIED,
        {"action": "no_action"},
    ),
    "cases_admin:support_needs": Check(
        url_for("cases_admin:support_needs", _case), "officer", post={"needs": ["bsl"], "details": "Changed"}
    ),
    "cases_admin:attachment": Check(
        url_for(
            "cases_admin:attachment",
            lambda w: w.attachment.pk,
            kwarg="attachment_pk",
            extra=lambda w: {"pk": w.case.pk},
        ),
        "officer",
    ),
    # Assisted contacts follow their case.
    "assisted_contacts:edit": Check(
        url_for("assisted_contacts:edit", _contact),
        "officer",
        post=lambda w: {
            **CONTACT_ANSWERS,
            "case_reference": "",
            "occurred_at": timezone.localtime(w.contact.occurred_at).strftime("%Y-%m-%dT%H:%M"),
        },
    ),
    "assisted_contacts:inspect": Check(url_for("assisted_contacts:inspect", _contact), "officer"),
    "assisted_contacts:history": Check(url_for("assisted_contacts:history", _contact), "officer"),
    "assisted_contacts:history_results": Check(
        url_for("assisted_contacts:history_results", _contact), "officer"
    ),
    "assisted_contacts:usage": Check(url_for("assisted_contacts:usage", _contact), "officer"),
    "assisted_contacts:delete": Check(url_for("assisted_contacts:delete", _contact), "superuser"),
    "wagtailadmin_editing_sessions:ping": Check(
        url_for(
            "wagtailadmin_editing_sessions:ping",
            _contact,
            kwarg="object_id",
            extra=lambda w: {"app_label": "interactions", "model_name": "assistedcontact", "session_id": 0},
        ),
        "officer",
        method="post",
    ),
    # Payments and bills are Finance's; nobody edits or deletes them.
    "finance_payments:inspect": Check(url_for("finance_payments:inspect", _payment), "finance"),
    "finance_payments:history": Check(url_for("finance_payments:history", _payment), None),
    "finance_payments:history_results": Check(url_for("finance_payments:history_results", _payment), None),
    "finance_payments:usage": Check(url_for("finance_payments:usage", _payment), None),
    "finance_payments:edit": Check(url_for("finance_payments:edit", _payment), None),
    "finance_payments:delete": Check(url_for("finance_payments:delete", _payment), None),
    "payments_admin:refund": Check(
        url_for("payments_admin:refund", _payment), "finance", post={"kind": "full", "reason": "Sorry"}
    ),
    "admin:view_on_site": Check(
        url_for(
            "admin:view_on_site",
            _payment,
            kwarg="object_id",
            extra=lambda w: {"content_type_id": ContentType.objects.get_for_model(Payment).pk},
        ),
        None,
    ),
    "finance_bills:inspect": Check(url_for("finance_bills:inspect", _bill), "finance"),
    "finance_bills:edit": Check(
        url_for("finance_bills:edit", _bill), "finance", post={"payer_name": "Changed"}
    ),
    "finance_bills:history": Check(url_for("finance_bills:history", _bill), "finance"),
    "finance_bills:history_results": Check(url_for("finance_bills:history_results", _bill), "finance"),
    "finance_bills:usage": Check(url_for("finance_bills:usage", _bill), "finance"),
    "finance_bills:delete": Check(url_for("finance_bills:delete", _bill), None),
    # Integrations: Integration managers only. The delivery log names residents' cases; API
    # clients and destinations are the council's set-up. Case officers have no access at all.
    "integrations_admin:delivery": Check(
        url_for("integrations_admin:delivery", _delivery), "integrations", DENIED
    ),
    # POST only (then back to the delivery): nobody gets 200 from it.
    "integrations_admin:delivery_resend": Check(
        url_for("integrations_admin:delivery_resend", _delivery), None, DENIED, method="post"
    ),
    "integrations_admin:destination": Check(
        url_for("integrations_admin:destination", _destination),
        "integrations",
        DENIED,
        {"name": "Changed", "kind": "webhook", "url": "https://evil.example/hook"},
    ),
    # A confirmation page (GET), then the POST that replaces the webhook's signing secret.
    "integrations_admin:destination_secret_replace": Check(
        url_for("integrations_admin:destination_secret_replace", _destination), "integrations", DENIED
    ),
    "integrations_admin:api_client": Check(
        url_for("integrations_admin:api_client", _api_client), "integrations", DENIED
    ),
    "integrations_admin:api_client_revoke": Check(
        url_for("integrations_admin:api_client_revoke", _api_client), "integrations", DENIED
    ),
    "integrations_admin:api_client_rotate": Check(
        url_for("integrations_admin:api_client_rotate", _api_client), "integrations", DENIED
    ),
    # Residents' accounts: only superusers manage users; officers have no access to them at all.
    "wagtailusers_users:edit": Check(
        url_for("wagtailusers_users:edit", _resident), "superuser", DENIED, {"email": "x@y.z"}
    ),
    "wagtailusers_users:delete": Check(url_for("wagtailusers_users:delete", _resident), "superuser", DENIED),
    "wagtailusers_users:history": Check(
        url_for("wagtailusers_users:history", _resident), "superuser", DENIED
    ),
    "wagtailusers_users:history_results": Check(
        url_for("wagtailusers_users:history_results", _resident), "superuser", DENIED
    ),
    "wagtailusers_users:usage": Check(url_for("wagtailusers_users:usage", _resident), "superuser", DENIED),
    "wagtailusers_users:copy": Check(url_for("wagtailusers_users:copy", _resident), "superuser", DENIED),
    "wagtail_bulk_action": Check(
        url_for(
            "wagtail_bulk_action",
            _resident,
            extra=lambda w: {"app_label": "accounts", "model_name": "user", "action": "set_active_state"},
            query="?id={id}",
        ),
        "superuser",
        DENIED,
        {"mark_as_active": ""},
    ),
    # The Django admin's models with residents' data: superusers only.
    **_django_admin("account/emailaddress", lambda w: w.email.pk),
    **_django_admin("mfa/authenticator", lambda w: w.authenticator.pk),
    **_django_admin("usersessions/usersession", lambda w: w.user_session.pk),
    **_django_admin("django_tasks_database/dbtaskresult", lambda w: w.task_result.pk),
}

# Admin URLs with parameters that name no resident data, by namespace or by exact name.
NOT_RESIDENT_NAMESPACES = {
    "wagtailadmin_api:pages": "content pages, as JSON",
    "wagtailadmin_api:documents": "documents editors upload",
    "wagtailadmin_api:images": "images editors upload",
    "wagtailadmin_pages": "content pages",
    "wagtailadmin_collections": "collections of images and documents",
    "wagtailadmin_workflows": "publishing workflows and tasks",
    "wagtailredirects": "redirects between public URLs",
    "wagtailsettings": "site settings",
    "wagtailsearchpromotions": "promoted search results",
    "wagtaildocs": "documents editors upload",
    "wagtaildocs_chooser": "documents editors upload",
    "wagtailimages": "images editors upload",
    "wagtailimages_chooser": "images editors upload",
    "wagtailsnippets_cms_alert": "site-wide alert banners",
    "wagtailsnippetchoosers_cms_alert": "site-wide alert banners",
    "wagtailsnippets_cms_synonymgroup": "search synonyms: words that mean the same",
    "wagtailsnippetchoosers_cms_synonymgroup": "search synonyms: words that mean the same",
    "wagtailsnippets_forms_engine_serviceform": "form definitions (statistics are counts, not answers)",
    "wagtailsnippetchoosers_forms_engine_serviceform": "form definitions",
    "wagtailsnippets_notifications_messagetemplate": "the wording of the messages the portal sends",
    "wagtailsnippetchoosers_notifications_messagetemplate": "the wording of the messages the portal sends",
    "wagtailsites": "the site record",
    "wagtailusers_groups": "staff groups and their permissions",
    "case_teams": "case teams: names, team emails and their officers (staff, not residents)",
}
NOT_RESIDENT_DATA = {
    "cms_what_to_fix_handled": "anonymous page feedback (emails and numbers are removed when given)",
    **{
        f"{viewset}:{view}": "reference data for the measures (teams, targets), no resident"
        for viewset in ("contact_teams", "measure_targets")
        for view in ("edit", "delete", "history", "history_results", "usage")
    },
    "wagtailadmin_explore": "the page tree",
    "wagtailadmin_explore_results": "the page tree",
    "wagtailadmin_choose_page_child": "the page chooser",
    "wagtailadmin_tag_model_autocomplete": "tags on content",
    "wagtailadmin_editing_sessions:release": "the signed-in person's own editing session",
    "wagtailadmin_password_reset_confirm": "switched off: every sign-in goes through allauth",
    "admin:app_list": "an app's list of models, no object",
    "django-admin/(?P<url>.*)$": "the Django admin's catch-all: 404 or the sign-in page",
    **{
        f"admin:{model}_{view}": "content, tags or staff groups in the Django admin"
        for model in ("wagtaildocs_document", "wagtailimages_image", "taggit_tag", "auth_group")
        for view in ("change", "delete", "history")
    },
    **{
        f"django-admin/{model}/<path:object_id>/": "redirects to the change page (content, not residents)"
        for model in ("wagtaildocs/document", "wagtailimages/image", "taggit/tag", "auth/group")
    },
}


def _has_parameters(pattern) -> bool:
    if isinstance(pattern, RegexPattern):
        return bool(pattern.regex.groupindex)
    return bool(pattern.converters)


def admin_urls_with_parameters() -> set[str]:
    """Every admin URL pattern that takes a parameter: its full name, or its route if unnamed."""
    found = set()

    def walk(patterns, prefix, namespace, inherited):
        for entry in patterns:
            shown = prefix + str(entry.pattern)
            params = inherited or _has_parameters(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = ":".join(part for part in (namespace, entry.namespace) if part)
                walk(entry.url_patterns, shown, inner, params)
            elif shown.startswith(ADMIN_PREFIXES) and params:
                found.add(":".join(part for part in (namespace, entry.name) if part) if entry.name else shown)

    walk(get_resolver().url_patterns, "", "", False)
    return found


def test_every_admin_url_with_an_identifier_is_checked():
    found = admin_urls_with_parameters()
    by_namespace = {key for key in found if key.rpartition(":")[0] in NOT_RESIDENT_NAMESPACES}
    unaccounted = found - set(CHECKS) - set(NOT_RESIDENT_DATA) - by_namespace
    assert not unaccounted, f"Add these to CHECKS (resident data) or NOT_RESIDENT_DATA: {sorted(unaccounted)}"
    assert not set(CHECKS) & set(NOT_RESIDENT_DATA)
    assert not (set(CHECKS) | set(NOT_RESIDENT_DATA)) - found, "stale entries"
    assert not set(NOT_RESIDENT_NAMESPACES) - {key.rpartition(":")[0] for key in found}, "stale namespaces"


# --- Walking them --------------------------------------------------------------------------------


def fingerprint() -> dict:
    """Everything a refused write could have changed."""
    return {
        "cases": list(
            Case.objects.order_by("pk").values_list(
                "pk", "status", "team_id", "assignee_id", "satisfaction_state", "updated_at"
            )
        ),
        "events": CaseEvent.objects.count(),
        "attachments": list(CaseAttachment.objects.values_list("pk", flat=True)),
        "case_support": list(CaseSupportNeeds.objects.values_list("pk", "needs", "details")),
        "support": list(SupportNeeds.objects.values_list("pk", "needs", "details", "recorded_by_id")),
        "interactions": list(
            Interaction.objects.exclude(type__in=["page_view", "auth"])
            .order_by("pk")
            .values_list("pk", "type", "channel", "avoidable", "case_reference", "user_id", "extras")
        ),
        "payments": list(Payment.objects.order_by("pk").values_list("pk", "status", "amount_refunded_pence")),
        "refunds": Refund.objects.count(),
        "bills": list(Bill.objects.order_by("pk").values_list("pk", "payer_name", "status")),
        "users": list(
            get_user_model().objects.order_by("pk").values_list("pk", "email", "is_active", "is_staff")
        ),
        "emails": list(EmailAddress.objects.order_by("pk").values_list("pk", "email", "verified")),
        "authenticators": list(Authenticator.objects.order_by("pk").values_list("pk", flat=True)),
        "user_sessions": list(UserSession.objects.order_by("pk").values_list("pk", flat=True)),
        "tasks": list(DBTaskResult.objects.values_list("pk", flat=True)),
        "editing_sessions": EditingSession.objects.count(),
        "log": ModelLogEntry.objects.count(),
        "api_clients": list(ApiClient.objects.order_by("pk").values_list("pk", "key_hash", "revoked_at")),
        "destinations": list(Destination.objects.order_by("pk").values_list("pk", "name", "url", "active")),
        "deliveries": list(Delivery.objects.order_by("pk").values_list("pk", "status", "attempts")),
    }


def _signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def _location(response) -> str:
    return response.get("Location", "")


def _shows_the_residents_data(response) -> bool:
    text = response.content.decode(errors="replace") if not getattr(response, "streaming", False) else ""
    return any(secret in text for secret in (RESIDENT_EMAIL, RESIDENT_NAME, NOTES, "Here is the letter"))


def test_an_officer_of_another_team_reaches_nothing_and_the_right_person_does(
    world, waste_officer, parking_officer
):
    outsider = _signed_in(parking_officer)
    assert outsider.get("/admin/").status_code == 200  # signed in with 2-step verification

    problems = []
    before = fingerprint()
    for name, check in CHECKS.items():
        url, missing_url = check.build(world), check.build(world, True)
        post = check.post(world) if callable(check.post) else check.post
        methods = (("post", post),) if check.method == "post" else (("get", {}), ("post", post))
        for method, data in methods:
            response = getattr(outsider, method)(url, data)
            what = f"{name} {method.upper()}"
            status = response.status_code
            if check.refusal == NOT_FOUND:
                missing = getattr(outsider, method)(missing_url, data)
                if (status, missing.status_code) != (404, 404):
                    problems.append(f"{what}: {status} (a missing id: {missing.status_code}), not 404")
            elif check.refusal == DENIED and not (status == 403 or _location(response) == "/admin/"):
                problems.append(f"{what}: {status} {_location(response)}, not refused")
            elif check.refusal == "redirect" and not (
                status == 302 and _location(response).endswith("/change/")
            ):
                problems.append(f"{what}: {status} {_location(response)}, not sent to the change page")
            if _shows_the_residents_data(response):
                problems.append(f"{what}: shows the resident's data")
    after = fingerprint()
    problems += [f"a refused request changed {key}" for key in before if before[key] != after[key]]

    people = {
        "officer": _signed_in(waste_officer),
        "finance": _signed_in(staff_in("Finance")),
        "superuser": _signed_in(StaffFactory(is_superuser=True)),
        "integrations": _signed_in(staff_in("Integration managers")),
    }
    for name, check in CHECKS.items():
        if check.allowed:
            response = getattr(people[check.allowed], check.method)(check.build(world))
            if response.status_code != 200:
                problems.append(f"{name}: {check.allowed} gets {response.status_code}, not 200")
        else:
            response = people["superuser"].get(check.build(world))
            if response.status_code == 200:
                problems.append(f"{name}: open to a superuser, but nobody should use it")
    assert not problems, "\n".join(problems)


# --- The rule itself, on lists and forms -----------------------------------------------------------


def _contact_by(staff, *, case_reference="", resident=None, notes=""):
    return assisted_contact_record(
        staff=staff,
        channel=Channel.PHONE,
        service_code=524,
        reason_code="8",
        avoidable=False,
        resolved_first_contact=True,
        resident=resident,
        case_reference=case_reference,
        notes=notes,
    )


def test_assisted_contacts_follow_their_case_and_general_ones_stay_with_the_recorders_team(
    client, waste, waste_officer, parking_officer
):
    team_mate = officer_in(waste)
    manager = staff_in("Service managers")
    resident = UserFactory(email=RESIDENT_EMAIL, full_name=RESIDENT_NAME)
    waste_case = case_make(team=waste, resident=resident)
    contacts = {
        # Recorded by a Parking officer about a Waste case (as the general form allowed): the Waste team's.
        "about_waste_case": _contact_by(parking_officer, case_reference=waste_case.reference, notes=NOTES),
        "typed_in_lower_case": _contact_by(
            parking_officer, case_reference=f" {waste_case.reference.lower()}"
        ),
        "waste_general": _contact_by(waste_officer, resident=resident, notes=NOTES),
        "case_since_deleted": _contact_by(waste_officer, case_reference="BWC-2019-000001"),
        "parking_general": _contact_by(parking_officer, resident=resident),
    }
    waste_sees = {"about_waste_case", "typed_in_lower_case", "waste_general", "case_since_deleted"}
    expected = {
        waste_officer: waste_sees,
        team_mate: waste_sees,
        parking_officer: {"parking_general"},
        manager: set(contacts),
    }
    for person, visible in expected.items():
        client.force_login(person)
        listed = {contact.pk for contact in client.get("/admin/assisted-contacts/").context["object_list"]}
        assert listed == {contacts[key].pk for key in visible}, person
        for key, contact in contacts.items():
            status = client.get(reverse("assisted_contacts:inspect", args=[contact.pk])).status_code
            assert status == (200 if key in visible else 404), (person, key)
    # Searching by the resident's email finds nothing another team recorded.
    client.force_login(parking_officer)
    found = client.get("/admin/assisted-contacts/", {"q": RESIDENT_EMAIL}).context["object_list"]
    assert [contact.pk for contact in found] == [contacts["parking_general"].pk]
    # Editors and Finance see no contacts at all.
    client.force_login(staff_in("Finance"))
    assert (
        client.get(reverse("assisted_contacts:inspect", args=[contacts["waste_general"].pk])).status_code
        == 404
    )


def test_forms_refuse_another_teams_case_as_they_refuse_an_unknown_one(
    client, waste, parking, parking_officer
):
    theirs = case_make(team=waste, status="resolved")
    mine = case_make(team=parking, reference_prefix="PKG")
    client.force_login(parking_officer)
    answers = {key: value for key, value in CONTACT_ANSWERS.items() if key != "satisfaction"}
    pages = [
        client.post("/admin/assisted-contacts/new/", {**answers, "case_reference": reference})
        for reference in (theirs.reference, "BWC-2026-999999")
    ]
    message = "Enter the reference of a case you can see in your case queue"
    for page in pages:
        assert page.status_code == 200
        assert message in page.text
    assert pages[0].context["form"].errors == pages[1].context["form"].errors
    assert not AssistedContact.objects.exists()

    # Their own case is fine, spelled any way; moving the contact onto another team's case is not.
    assert (
        client.post(
            "/admin/assisted-contacts/new/", {**answers, "case_reference": mine.reference.lower()}
        ).status_code
        == 302
    )
    contact = AssistedContact.objects.get()
    assert contact.case_reference == mine.reference
    edit = {
        **answers,
        "case_reference": theirs.reference,
        "occurred_at": timezone.localtime(contact.occurred_at).strftime("%Y-%m-%dT%H:%M"),
    }
    page = client.post(reverse("assisted_contacts:edit", args=[contact.pk]), edit)
    assert page.status_code == 200 and message in page.text
    contact.refresh_from_db()
    assert contact.case_reference == mine.reference

    # The queue's bulk actions neither offer another team's case nor take its forged id.
    page = client.get("/admin/cases/")
    assert theirs.reference not in page.text
    assert theirs.pk not in {choice.value for choice, _ in page.context["bulk"].fields["cases"].choices}
    response = client.post(
        "/admin/cases/", {"action": "assign", "assignee": parking_officer.pk, "cases": [theirs.pk]}
    )
    assert response.status_code == 200 and "Select cases from the list" in response.text
    theirs.refresh_from_db()
    assert theirs.assignee is None


def test_a_payment_links_to_its_case_only_for_staff_who_can_open_the_case(
    client, django_capture_on_commit_callbacks, waste
):
    with django_capture_on_commit_callbacks(execute=True):
        case, payment = _paid_fee_case(resident=UserFactory(), team=waste)
    case_link = f'href="{reverse("cases_admin:case", args=[case.pk])}"'
    finance = staff_in("Finance")
    client.force_login(finance)
    page = client.get(reverse("finance_payments:inspect", args=[payment.pk]))
    assert page.status_code == 200 and case.reference in page.text
    assert case_link not in page.text
    waste.members.add(finance)
    finance.groups.add(*staff_in("Case officers").groups.all())
    finance = get_user_model().objects.get(pk=finance.pk)  # fresh permission caches
    client.force_login(finance)
    assert case_link in client.get(reverse("finance_payments:inspect", args=[payment.pk])).text


def test_staff_reach_residents_form_files_only_after_2_step_verification(web, waste):
    from forms_engine.models import Upload
    from tests.forms_engine.factories import form_build, question, step
    from tests.forms_engine.helpers import check_url, form_start, step_url

    form_build(
        slug="proof",
        title="Send proof of address",
        steps=[step("Proof", question("file", "proof", "Upload proof of address", allowed_types=["pdf"]))],
        team=waste,
    )
    web.force_login(UserFactory())
    draft = form_start(web, "proof")
    web.post(step_url(draft, 1), {"proof": SimpleUploadedFile("bill.pdf", b"%PDF-1.4\n%%EOF\n")})
    web.post(check_url(draft))
    upload = Upload.objects.get()
    assert upload.submission.case.team == waste
    url = reverse("forms_engine:upload", kwargs={"pk": upload.pk})
    officer = officer_in(waste)
    staff = Client()
    staff.force_login(officer, mfa=False)  # signed in by password alone
    assert staff.get(url).status_code == 404
    staff = _signed_in(officer)
    assert staff.get(url).status_code == 200
