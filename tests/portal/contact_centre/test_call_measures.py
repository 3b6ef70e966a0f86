"""The contact measures count what agents do for callers like for like (docs/measures.md).

Through the real pages: one resident gives up online at the address step and rings; the
agent carries on with their draft and sends it by phone, and records the call as avoidable
(tried online and failed). Another resident does it all online. Counted by hand, for the
household waste service (524) on the day:

- transactions: 2 (one web, one phone) → digital take-up 50.0% (1 of 2);
- identifiable web persons: 2 (the agent's pages are not web activity); one of them made an
  assisted contact after their web activity without completing online in between → failed
  web contact 50.0% (1 of 2);
- web form starts: 2; submitted on the web: 1 (the phone submission completes a
  transaction, not a web form) → completion 50.0% (1 of 2);
- assisted contacts: 1, avoidable (failed online) → avoidable contact 100.0% (1 of 1).
"""

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.constants import IdentityCheck
from portal.contact_centre.models import Call
from portal.contact_centre.services import SESSION_CALL
from portal.insights.figures import figures_for
from portal.insights.measures import measures_for
from portal.interactions.constants import AvoidableCategory, Channel, InteractionType
from portal.interactions.models import Interaction
from portal.interactions.rollups import _NOT_WEB_ACTIVITY, rollup_build_day
from tests.accounts.factories import UserFactory, staff_in
from tests.accounts.signin import sign_in
from tests.forms_engine.factories import missed_bin_form
from tests.forms_engine.helpers import check_url, form_start, missed_bin_answers, step_url
from tests.payments.factories import fee_case

pytestmark = pytest.mark.django_db
WASTE = 524
CARD = {"expiry_month": "12", "expiry_year": "2039", "cardholder_name": "Sam Resident", "cvc": "123"}


def _resident(email: str, postcode: str):
    return UserFactory(
        email=email,
        full_name=email.split("@")[0].title(),
        phone="07700900982",
        address_line_1="12 Acacia Avenue",
        town="Anytown",
        postcode=postcode,
    )


def _online(user) -> Client:
    client = Client(REMOTE_ADDR=f"192.0.2.{user.pk % 200 + 1}", HTTP_USER_AGENT="Mozilla/5.0 (test)")
    client.force_login(user)
    return client


def test_a_phone_submission_is_a_phone_transaction_and_the_web_attempt_a_failed_web_contact(
    django_capture_on_commit_callbacks,
):
    missed_bin_form(sign_in="optional", service_id=WASTE)
    gave_up, did_it_online = (
        _resident("gave.up@example.org", "AB1 2DE"),
        _resident("online@example.org", "AB1 3DE"),
    )

    # Online: one stops at the address step; the other sends the form.
    web = _online(gave_up)
    draft = form_start(web, "missed-bin")
    web.post(step_url(draft, 1), missed_bin_answers()[0])
    other = _online(did_it_online)
    theirs = form_start(other, "missed-bin")
    for number, answers in enumerate(missed_bin_answers(), start=1):
        other.post(step_url(theirs, number if number == 1 else number + 1), answers)
    assert other.post(check_url(theirs)).status_code == 302

    # The first one rings: the agent carries on with their draft and sends it by phone.
    agent = Client()
    sign_in(agent, staff_in("Contact centre"))
    agent.post(reverse("contact_centre:call_start"), {"channel": Channel.PHONE})
    call = Call.objects.get(pk=agent.session[SESSION_CALL])
    identify = reverse("contact_centre:call_identify", kwargs={"resident_id": gave_up.pk})
    agent.post(identify, {"action": "choose"})
    agent.post(identify, {"action": "confirm", "method": IdentityCheck.REFERENCE_AND_POSTCODE})
    resume = reverse("contact_centre:draft_resume", kwargs={"draft": draft.pk})
    assert agent.post(resume, {"consent": "on"}).status_code == 302
    for number, answers in ((3, missed_bin_answers()[1]), (4, missed_bin_answers()[2])):
        assert agent.post(step_url(draft, number), answers).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert agent.post(check_url(draft)).status_code == 302
        close = agent.get(reverse("contact_centre:call_close"))
        initial = close.context["form"].initial
        assert (initial["tried_online"], initial["avoidable"], initial["avoidable_category"]) == (
            "yes",
            "yes",
            AvoidableCategory.FAILED_ONLINE,
        )
        response = agent.post(
            reverse("contact_centre:call_close"),
            {
                "service_code": str(WASTE),
                "reason_code": "8",
                "tried_online": "yes",
                "avoidable": "yes",
                "avoidable_category": AvoidableCategory.FAILED_ONLINE,
                "resolved_first_contact": "yes",
            },
        )
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.contact is not None and call.contact.user == gave_up

    # What the log holds: the agent's steps are phone events for the resident, not web ones.
    by_agent = Interaction.objects.filter(staff__isnull=False, person_key=gave_up.person_key)
    assert set(by_agent.values_list("channel", flat=True)) == {Channel.PHONE}
    transactions = Interaction.objects.filter(type=InteractionType.TRANSACTION, service_code=WASTE)
    assert sorted(transactions.values_list("channel", flat=True)) == [Channel.PHONE, Channel.WEB]

    today = timezone.localdate()
    rollup_build_day(day=today)
    figures = figures_for(measures_for(start=today, end=today, service_code=WASTE))

    def counts(key):
        figure = figures[key]
        return figure.value, figure.numerator, figure.denominator

    assert counts("digital") == (50.0, 1, 2)
    assert counts("failed_web") == (50.0, 1, 2)
    assert counts("completion") == (50.0, 1, 2)
    assert counts("avoidable") == (100.0, 1, 1)


def test_a_fee_paid_at_a_desk_on_the_payment_page_is_not_web_activity(django_capture_on_commit_callbacks):
    """The agent opens the payment page for the resident at a desk, who pays with their card.
    None of it is web activity: the payment events are face to face, with
    the agent as staff, and the request's fee completes its transaction on the case's channel."""
    resident = _resident("desk@example.org", "AB1 2DE")
    case, payment = fee_case(resident=resident, amount_pence=3500, channel=Channel.FACE_TO_FACE)
    agent = Client()
    staff = staff_in("Contact centre")
    sign_in(agent, staff)
    agent.post(reverse("contact_centre:call_start"), {"channel": Channel.FACE_TO_FACE})
    identify = reverse("contact_centre:call_identify", kwargs={"resident_id": resident.pk})
    agent.post(identify, {"action": "choose"})
    agent.post(identify, {"action": "confirm", "method": IdentityCheck.ID_SEEN})
    opened = agent.post(reverse("contact_centre:payment_link"), {"payment": payment.pk, "action": "open"})
    link = opened["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(link)
        assert response["Location"].startswith("/payments/sandbox/")
        agent.post(response["Location"], {"card_number": "4242424242424242", **CARD})

    payment_events = Interaction.objects.filter(type__in=["payment_start", "payment_result"])
    assert payment_events.count() == 2
    assert set(payment_events.values_list("channel", "staff_id", "person_key")) == {
        (Channel.FACE_TO_FACE, staff.pk, resident.person_key)
    }
    # Web activity, as the rollups read it (docs/measures.md): none for the resident.
    web = Interaction.objects.filter(channel=Channel.WEB, person_key=resident.person_key, staff__isnull=True)
    assert not web.exclude(type__in=_NOT_WEB_ACTIVITY).exclude(visitor_key="").exists()
    [transaction] = Interaction.objects.filter(type=InteractionType.TRANSACTION)
    assert transaction.channel == Channel.FACE_TO_FACE
