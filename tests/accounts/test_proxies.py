"""People who act for a resident: the invitation, its acceptance, what they may see and do
on the resident's requests, and that nobody else sees anything."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.constants import ProxyEndedBy, ProxyRelationship, ProxyState
from accounts.models import Proxy
from accounts.proxies import INVITES_PER_DAY
from accounts.selectors import acting_for, proxies_for_resident
from accounts.services import ProxyError, proxy_accept, proxy_end, proxy_invite
from forms_engine.models import Upload
from payments.models import Payment
from portal.cases.constants import CaseStatus, EventType
from portal.cases.models import CaseEvent
from portal.cases.services import case_message_send
from portal.interactions.models import Interaction
from portal.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import form_build, question, step
from tests.forms_engine.helpers import check_url, form_start, step_url
from tests.payments.factories import fee_case
from tests.portal.cases.factories import case_make, officer_in, team_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident():
    return UserFactory(full_name="Jo Resident", email="jo@example.org")


@pytest.fixture
def carer():
    return UserFactory(full_name="Sam Carer", email="sam@example.org")


@pytest.fixture
def stranger():
    return UserFactory(full_name="Alex Other", email="alex@example.org")


def _active(resident, person, **kwargs):
    """An accepted arrangement, made through the services."""
    proxy, _token = proxy_invite(
        resident=resident,
        email=person.email,
        relationship=kwargs.pop("relationship", ProxyRelationship.CARER),
        can_submit=kwargs.pop("can_submit", False),
        can_pay=kwargs.pop("can_pay", False),
        ends_on=kwargs.pop("ends_on", None),
    )
    return proxy_accept(proxy=proxy, person=person)


def _detail(case):
    return reverse("cases:detail", kwargs={"reference": case.reference})


def _login_url_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


# Inviting


def test_a_resident_invites_someone_and_only_the_email_holds_the_link(web, resident):
    web.force_login(resident)
    assert "People who can act for you" in web.get(reverse("my_account")).text
    response = web.post(
        reverse("account_proxy_add"),
        {"email": "Sam@Example.org", "relationship": "relative", "permissions": ["submit"]},
    )
    assert response.status_code == 302 and response["Location"] == reverse("account_proxies")
    proxy = Proxy.objects.get()
    assert (proxy.resident, proxy.person, proxy.invite_email) == (resident, None, "sam@example.org")
    assert (proxy.can_submit, proxy.can_pay, proxy.ends_on) == (True, False, None)
    assert proxy.state == ProxyState.INVITED
    assert proxy.invitation_expires_at - proxy.created_at == timedelta(days=14)

    sent = mail.outbox[-1]
    assert sent.to == ["sam@example.org"]
    assert sent.subject == "Jo Resident has asked you to act for them"
    assert "send messages and replies about their requests" in sent.body
    assert "pay fees" not in sent.body
    token = re.search(r"/my-account/act-for/([^/\s]+)/", sent.body).group(1)
    assert len(proxy.token_hash) == 64 and token not in proxy.token_hash
    stored = Notification.objects.get(to="sam@example.org")
    assert token not in stored.body_text and "[link not kept]" in stored.body_text

    page = web.get(reverse("account_proxies")).text
    assert "sam@example.org" in page and "Invitation sent" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"email": "", "relationship": "carer"},
            "email",
            "Enter the email address of the person who will act for you",
        ),
        ({"email": "jo@example.org", "relationship": "carer"}, "email", "You cannot act for yourself"),
        ({"email": "sam@example.org"}, "relationship", "Select how you know the person"),
        (
            {"email": "sam@example.org", "relationship": "carer", "ends_on_day": "31", "ends_on_month": "2"},
            "ends_on_day",
            "End date must include a year",
        ),
        (
            {
                "email": "sam@example.org",
                "relationship": "carer",
                "ends_on_day": "31",
                "ends_on_month": "2",
                "ends_on_year": "2030",
            },
            "ends_on_day",
            "End date must be a real date",
        ),
    ],
)
def test_the_add_form_says_what_is_wrong(client, resident, data, field, message):
    client.force_login(resident)
    response = client.post(reverse("account_proxy_add"), data)
    assert response.status_code == 200
    assert message in response.text
    assert f'href="#id_{field}"' in response.text
    assert not Proxy.objects.exists()


def test_the_end_date_cannot_be_in_the_past(client, resident):
    yesterday = timezone.localdate() - timedelta(days=1)
    client.force_login(resident)
    response = client.post(
        reverse("account_proxy_add"),
        {
            "email": "sam@example.org",
            "relationship": "attorney",
            "ends_on_day": str(yesterday.day),
            "ends_on_month": str(yesterday.month),
            "ends_on_year": str(yesterday.year),
        },
    )
    assert "The end date must be today or in the future" in response.text
    assert not Proxy.objects.exists()
    today = timezone.localdate()
    client.post(
        reverse("account_proxy_add"),
        {
            "email": "sam@example.org",
            "relationship": "attorney",
            "ends_on_day": str(today.day),
            "ends_on_month": str(today.month),
            "ends_on_year": str(today.year),
        },
    )
    assert Proxy.objects.get().ends_on == today


def test_inviting_the_same_person_twice_is_refused(resident, carer):
    proxy_invite(resident=resident, email=carer.email, relationship="carer", can_submit=False, can_pay=False)
    with pytest.raises(ProxyError, match="already invited"):
        proxy_invite(
            resident=resident, email=carer.email, relationship="carer", can_submit=True, can_pay=False
        )


def test_the_database_refuses_a_proxy_for_oneself_and_two_active_for_one_pair(resident, carer):
    base = {"invite_email": "x@example.org", "relationship": "carer", "invitation_expires_at": timezone.now()}
    with pytest.raises(IntegrityError), transaction.atomic():
        Proxy.objects.create(resident=resident, person=resident, **base)
    Proxy.objects.create(resident=resident, person=carer, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proxy.objects.create(resident=resident, person=carer, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proxy.objects.create(
            resident=resident,
            relationship="boss",
            invite_email="y@example.org",
            invitation_expires_at=timezone.now(),
        )


# The invitation


def _invite(web, resident, email="sam@example.org", permissions=()):
    web.force_login(resident)
    web.post(
        reverse("account_proxy_add"),
        {"email": email, "relationship": "carer", "permissions": list(permissions)},
    )
    web.logout()
    return re.search(r"(/my-account/act-for/[^/\s]+/)", mail.outbox[-1].body).group(1)


def test_the_invited_person_accepts_with_a_verified_matching_address(web, resident, carer):
    url = _invite(web, resident, permissions=["submit", "pay"])
    assert _login_url_in(web.get(url))
    assert _login_url_in(web.post(url, {"accept": "1"}))

    web.force_login(carer)
    page = web.get(url)
    assert page.status_code == 200
    assert "Jo Resident has asked you to act for them" in page.text
    assert page["Referrer-Policy"] == "same-origin"
    response = web.post(url, {"accept": "1"})
    proxy = Proxy.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "account_acting_for", args=[proxy.pk]
    )
    assert (proxy.person, proxy.state, proxy.token_hash) == (carer, ProxyState.ACTIVE, None)

    told = mail.outbox[-1]
    assert told.to == ["jo@example.org"] and told.subject == "Sam Carer can now act for you"
    # The link is spent.
    assert web.get(url).status_code == 404
    assert "Jo Resident" in web.get(reverse("my_account")).text
    assert [p.pk for p in acting_for(carer)] == [proxy.pk]


def test_another_account_cannot_use_the_invitation(web, resident, stranger):
    url = _invite(web, resident)
    web.force_login(stranger)
    assert web.get(url).status_code == 404
    assert web.post(url, {"accept": "1"}).status_code == 404
    assert Proxy.objects.get().person is None
    # Not even the resident who sent it.
    web.force_login(resident)
    assert web.get(url).status_code == 404


def test_an_unverified_matching_address_cannot_accept_until_confirmed(web, resident, stranger):
    EmailAddress.objects.create(user=stranger, email="sam@example.org", verified=False, primary=False)
    url = _invite(web, resident)
    web.force_login(stranger)
    page = web.get(url)
    assert page.status_code == 200 and "Confirm your email address sam@example.org" in page.text
    assert "Accept" not in page.text
    web.post(url, {"accept": "1"})
    assert Proxy.objects.get().person is None
    with pytest.raises(ProxyError, match="different email address"):
        proxy_accept(proxy=Proxy.objects.get(), person=stranger)

    EmailAddress.objects.filter(user=stranger, email="sam@example.org").update(verified=True)
    web.post(url, {"accept": "1"})
    assert Proxy.objects.get().person == stranger


def test_declining_spends_the_invitation(web, resident, carer):
    url = _invite(web, resident)
    web.force_login(carer)
    response = web.post(url, {"decline": "1"})
    assert response.status_code == 302
    proxy = Proxy.objects.get()
    assert (proxy.state, proxy.ended_by, proxy.person) == (ProxyState.DECLINED, ProxyEndedBy.PERSON, None)
    assert web.get(url).status_code == 404


def test_an_expired_invitation_cannot_be_accepted(web, resident, carer):
    url = _invite(web, resident)
    Proxy.objects.update(invitation_expires_at=timezone.now() - timedelta(minutes=1))
    web.force_login(carer)
    page = web.get(url)
    assert "This invitation can no longer be used" in page.text and "It has expired" in page.text
    web.post(url, {"accept": "1"})
    assert Proxy.objects.get().person is None


# The resident's pages: theirs only


def test_proxy_pages_are_the_residents_own(client, resident, carer, stranger):
    proxy = _active(resident, carer)
    end = reverse("account_proxy_end", args=[proxy.pk])
    acting = reverse("account_acting_for", args=[proxy.pk])
    stop = reverse("account_acting_stop", args=[proxy.pk])
    for url in (reverse("account_proxies"), reverse("account_proxy_add"), end, acting, stop):
        assert _login_url_in(client.get(url)), url

    client.force_login(resident)
    assert client.get(reverse("account_proxies")).status_code == 200
    assert client.get(end).status_code == 200
    assert client.get(acting).status_code == 404  # the resident does not act for themselves
    assert client.get(stop).status_code == 404

    client.force_login(carer)
    assert client.get(end).status_code == 404
    assert client.post(end).status_code == 404
    assert client.get(acting).status_code == 200
    assert client.get(stop).status_code == 200

    client.force_login(stranger)
    for url in (end, acting, stop):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert "Sam Carer" not in client.get(reverse("account_proxies")).text
    assert Proxy.objects.get().is_active


def test_the_resident_ends_it_and_access_stops_at_once(web, resident, carer):
    case = case_make(resident=resident)
    proxy = _active(resident, carer, can_submit=True)
    web.force_login(carer)
    assert web.get(_detail(case)).status_code == 200

    web.force_login(resident)
    page = web.get(reverse("account_proxy_end", args=[proxy.pk]))
    assert "Are you sure you want to stop Sam Carer acting for you?" in page.text
    web.post(reverse("account_proxy_end", args=[proxy.pk]))
    proxy.refresh_from_db()
    assert (proxy.state, proxy.ended_by) == (ProxyState.ENDED, ProxyEndedBy.RESIDENT)
    told = mail.outbox[-1]
    assert told.to == ["sam@example.org"] and told.subject == "You can no longer act for Jo Resident"

    web.force_login(carer)
    assert web.get(_detail(case)).status_code == 404
    assert web.get(reverse("account_acting_for", args=[proxy.pk])).status_code == 404
    assert (
        web.post(
            reverse("cases:message", kwargs={"reference": case.reference}), {"message": "Hello"}
        ).status_code
        == 404
    )
    assert acting_for(carer) == []
    # The resident (and the contact centre's record) still see it, ended.
    assert [(p.pk, p.state) for p in proxies_for_resident(resident)] == [(proxy.pk, ProxyState.ENDED)]


def test_the_person_can_stop_acting(web, resident, carer):
    proxy = _active(resident, carer)
    web.force_login(carer)
    web.post(reverse("account_acting_stop", args=[proxy.pk]))
    proxy.refresh_from_db()
    assert (proxy.state, proxy.ended_by) == (ProxyState.ENDED, ProxyEndedBy.PERSON)
    assert mail.outbox[-1].to == ["jo@example.org"]
    with pytest.raises(ProxyError):
        proxy_end(proxy=proxy, by=carer)


# Acting on the resident's requests


def test_a_proxy_sees_the_residents_cases_and_nobody_elses(client, resident, carer, stranger):
    mine = case_make(resident=resident, title="Missed bin")
    other = case_make(resident=stranger, title="Someone else's pothole")
    own = case_make(resident=carer, title="The carer's own request")
    proxy = _active(resident, carer)

    client.force_login(carer)
    listing = client.get(reverse("account_acting_for", args=[proxy.pk])).text
    assert "Missed bin" in listing and "Someone else" not in listing and "own request" not in listing
    page = client.get(_detail(mine))
    assert page.status_code == 200
    assert "You are acting for Jo Resident" in page.text
    assert "Send a message" not in page.text and "Withdraw this request" not in page.text
    assert client.get(_detail(other)).status_code == 404
    assert client.get(_detail(own)).status_code == 200  # still their own
    assert "Missed bin" not in client.get(reverse("cases:list")).text  # their own list is their own

    client.force_login(stranger)
    assert client.get(_detail(mine)).status_code == 404
    client.logout()
    assert _login_url_in(client.get(_detail(mine)))


def test_a_proxy_view_is_logged_but_leaves_the_residents_unread_marker(client, resident, carer):
    case = case_make(resident=resident, status="in_progress")
    _active(resident, carer)
    client.force_login(carer)
    client.get(_detail(case))
    case.refresh_from_db()
    assert case.has_unread
    view = Interaction.objects.get(type="case_view")
    assert (view.user_id, view.extras) == (carer.pk, {"proxy": True})


def test_without_submit_a_proxy_cannot_message_withdraw_or_reopen(client, resident, carer):
    case = case_make(resident=resident)
    _active(resident, carer, can_submit=False)
    client.force_login(carer)
    ref = {"reference": case.reference}
    assert client.post(reverse("cases:message", kwargs=ref), {"message": "Any news?"}).status_code == 403
    assert client.get(reverse("cases:withdraw", kwargs=ref)).status_code == 403
    assert client.post(reverse("cases:reopen", kwargs=ref), {"reason": "x"}).status_code == 403
    assert not CaseEvent.objects.filter(case=case, type=EventType.RESIDENT_MESSAGE).exists()
    with pytest.raises(Exception, match="cannot send messages"):
        case_message_send(case=case, user=carer, message="Any news?")


def test_a_reply_by_a_proxy_is_theirs_for_the_resident_on_every_timeline(web, client, resident, carer):
    team = team_make()
    officer = officer_in(team)
    case = case_make(resident=resident, team=team, status="awaiting_resident")
    _active(resident, carer, can_submit=True)
    web.force_login(carer)
    response = web.post(
        reverse("cases:message", kwargs={"reference": case.reference}), {"message": "She is in on Tuesdays"}
    )
    assert response.status_code == 302
    message = CaseEvent.objects.get(case=case, type=EventType.RESIDENT_MESSAGE)
    assert (message.actor, message.data["proxy"]) == (carer, Proxy.objects.get().pk)
    change = CaseEvent.objects.filter(case=case, type=EventType.STATUS_CHANGE).latest("pk")
    assert (change.status_to, change.actor, change.by_proxy) == (CaseStatus.IN_PROGRESS, carer, True)

    carer_page = web.get(_detail(case)).text
    assert "You wrote" in carer_page and "By Sam Carer, acting for Jo Resident" in carer_page

    client.force_login(resident)
    resident_page = client.get(_detail(case)).text
    assert "Sam Carer wrote" in resident_page
    assert "By Sam Carer, acting for Jo Resident" in resident_page
    case.refresh_from_db()

    client.force_login(officer)
    staff_page = client.get(f"/admin/cases/{case.pk}/").text
    assert "Sam Carer, acting for Jo Resident" in staff_page


def test_a_proxy_with_submit_can_withdraw_for_the_resident(client, resident, carer):
    case = case_make(resident=resident)
    _active(resident, carer, can_submit=True)
    client.force_login(carer)
    client.post(reverse("cases:withdraw", kwargs={"reference": case.reference}), {"reason": "Sorted now"})
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.actor, event.by_proxy) == (carer, True)


def test_paying_needs_the_pay_permission(client, resident, carer):
    case, payment = fee_case(resident=resident)
    proxy = _active(resident, carer, can_pay=False)
    pay = reverse("payments:pay", kwargs={"reference": payment.reference})
    client.force_login(carer)
    assert client.get(pay).status_code == 404
    assert "Pay £35" not in client.get(_detail(case)).text

    proxy_end(proxy=proxy, by=resident)
    _active(resident, carer, can_pay=True)
    page = client.get(_detail(case)).text
    assert f'href="{pay}"' in page and "Pay £35 for Jo Resident" in page
    assert client.get(pay).status_code == 200
    assert Payment.objects.get(pk=payment.pk).user == resident


def test_an_end_date_in_the_past_gives_no_access(client, resident, carer):
    case, payment = fee_case(resident=resident)
    proxy = _active(resident, carer, can_submit=True, can_pay=True, ends_on=timezone.localdate())
    client.force_login(carer)
    assert client.get(_detail(case)).status_code == 200  # the end date is the last day

    Proxy.objects.filter(pk=proxy.pk).update(ends_on=timezone.localdate() - timedelta(days=1))
    proxy.refresh_from_db()
    assert proxy.state == ProxyState.EXPIRED
    assert client.get(_detail(case)).status_code == 404
    assert client.get(reverse("account_acting_for", args=[proxy.pk])).status_code == 404
    assert client.get(reverse("payments:pay", kwargs={"reference": payment.reference})).status_code == 404
    assert acting_for(carer) == []
    # A new invitation, accepted, replaces the expired arrangement.
    renewed = _active(resident, carer)
    proxy.refresh_from_db()
    assert proxy.ended_at is not None and renewed.is_active


def test_a_payment_by_a_proxy_is_theirs_for_the_resident_on_the_timeline(web, resident, carer):
    from tests.payments.test_sandbox_flow import _pay  # the sandbox journey, shared with its own tests

    case, payment = fee_case(resident=resident)
    proxy = _active(resident, carer, can_pay=True)
    web.force_login(carer)
    _pay(web, payment, "4242 4242 4242 4242")
    payment.refresh_from_db()
    case.refresh_from_db()
    assert payment.is_success and payment.user == resident
    assert case.status == CaseStatus.SUBMITTED
    paid = CaseEvent.objects.get(case=case, type=EventType.PAYMENT)
    assert (paid.actor, paid.data["proxy"]) == (carer, proxy.pk)
    web.force_login(resident)
    assert "By Sam Carer, acting for Jo Resident" in web.get(_detail(case)).text


def test_the_data_export_lists_both_sides_and_deleting_an_account_ends_them(resident, carer):
    from portal.lib import personal_data  # the registry the data export reads

    _active(resident, carer, can_pay=True)
    part = next(p for p in personal_data.parts() if p.name == "proxies")
    named = part.export(resident)["people_who_can_act_for_you"]
    assert [(r["person"], r["can_pay"], r["status"]) for r in named] == [("Sam Carer", True, "Active")]
    assert [r["person"] for r in part.export(carer)["people_you_act_for"]] == ["Jo Resident"]
    carer.delete()
    assert not Proxy.objects.exists()


def test_a_resident_can_send_only_a_few_invitations_a_day():
    resident = UserFactory()
    for number in range(INVITES_PER_DAY):
        proxy_invite(
            resident=resident,
            email=f"helper{number}@example.org",
            relationship="relative",
            can_submit=False,
            can_pay=False,
        )
    with pytest.raises(ProxyError, match="up to 5 people a day"):
        proxy_invite(
            resident=resident,
            email="one.more@example.org",
            relationship="relative",
            can_submit=False,
            can_pay=False,
        )


def test_someone_acting_for_the_resident_opens_the_files_they_sent_until_it_ends(
    web, resident, carer, stranger
):
    form_build(
        slug="proof",
        title="Send proof of address",
        steps=[step("Proof", question("file", "proof", "Upload proof of address", allowed_types=["pdf"]))],
    )
    own = Client()
    own.force_login(resident)
    draft = form_start(own, "proof")
    own.post(step_url(draft, 1), {"proof": SimpleUploadedFile("bill.pdf", b"%PDF-1.4\n%%EOF\n")})
    own.post(check_url(draft))
    upload = Upload.objects.get()
    url = reverse("forms_engine:upload", kwargs={"pk": upload.pk})
    proxy = _active(resident, carer)
    web.force_login(carer)
    assert web.get(url).status_code == 200
    web.force_login(stranger)
    assert web.get(url).status_code == 404
    proxy_end(proxy=proxy, by=resident)
    web.force_login(carer)
    assert web.get(url).status_code == 404
