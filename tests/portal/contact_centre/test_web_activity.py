"""What happened on the web lately: the lines an agent reads on the resident record, and the
"did the caller try online first?" signals, from hand-built events and real form journeys."""

from datetime import timedelta

import pytest

from django.utils import timezone

from wagtail.models import Page

from cms.models import StandardPage
from forms_engine.constants import DraftStatus
from forms_engine.models import Draft
from forms_engine.services import draft_transition
from portal.contact_centre.web_activity import FEEDBACK, FORM, PAYMENT, SIGN_IN, web_activity, web_signals
from portal.interactions.constants import Channel, InteractionType, Outcome
from portal.interactions.models import Interaction
from portal.interactions.services import interaction_record, transaction_record
from tests.accounts.factories import UserFactory, staff_in
from tests.cms.factories import publish
from tests.forms_engine.factories import missed_bin_form
from tests.forms_engine.helpers import address, check_url, date_parts, form_start, step_url

pytestmark = pytest.mark.django_db

HOUSEHOLD_WASTE, BULKY = 524, 528
MISSED_BIN = "\u201cReport a missed bin\u201d"
ADDRESS_STEP = "\u201cWhere was it missed?\u201d"


@pytest.fixture
def resident():
    return UserFactory(full_name="Pat Lee")


@pytest.fixture
def form():
    return missed_bin_form(sign_in="optional", service_id=HOUSEHOLD_WASTE)


def long_date(moment) -> str:
    day = timezone.localdate(moment)
    return f"{day.day} {day:%B} {day.year}"


def shift_to(draft: Draft, when) -> None:
    """Date the draft's last change and every event it wrote (all made just now) at ``when``
    (the events still say the draft was started today, as its ``created_at`` does)."""
    Interaction.objects.filter(journey=draft.version.form.slug).update(occurred_at=when)
    Draft.objects.filter(pk=draft.pk).update(updated_at=when)


def stopped_at_address(client, resident, *, errors: int = 0) -> Draft:
    """The resident signs in, starts the missed-bin form, answers "which bin" and stops at the address."""
    client.force_login(resident)
    draft = form_start(client, "missed-bin")
    response = client.post(step_url(draft, 1), {"bin_type": "General waste"})
    assert response.status_code == 302
    for _ in range(errors):
        response = client.post(step_url(draft, 3), address("address", postcode="not a postcode"))
        assert response.status_code == 200
    return Draft.objects.get(pk=draft.pk)


def test_a_form_left_at_the_address_step_yesterday_names_the_form_and_the_step(client, resident, form):
    draft = stopped_at_address(client, resident)
    yesterday = timezone.now() - timedelta(days=1)
    shift_to(draft, yesterday)
    expires = yesterday + timedelta(days=30)

    [line] = web_activity(resident=resident)

    assert line.kind == FORM
    assert line.summary == (
        f"Started {MISSED_BIN} and stopped at {ADDRESS_STEP} (answers saved until {long_date(expires)})"
    )
    assert (line.journey, line.step_title, line.service_code) == (
        "missed-bin",
        "Where was it missed?",
        HOUSEHOLD_WASTE,
    )
    assert line.draft_id == draft.pk and line.failed
    assert line.at == yesterday
    assert line.expires_at == expires

    signals = web_signals(resident=resident, since=yesterday - timedelta(hours=1))
    assert signals.tried_online and signals.failed_online
    assert signals.service_code == HOUSEHOLD_WASTE
    assert signals.summary == line.summary


def test_errors_on_a_step_say_how_many_and_on_which_questions(client, resident, form):
    stopped_at_address(client, resident, errors=3)

    [line] = web_activity(resident=resident)

    assert line.summary.startswith(
        f"Got 3 errors on {ADDRESS_STEP} of {MISSED_BIN}: Address of the missed bin (answers saved until "
    )
    assert line.failed


def test_a_completed_journey_is_not_a_failed_one(client, resident, form):
    draft = stopped_at_address(client, resident)
    client.post(step_url(draft, 3), address("address"))
    client.post(step_url(draft, 4), date_parts("collection_date", timezone.localdate() - timedelta(days=1)))
    response = client.post(check_url(draft), {})
    assert response.status_code == 302, response.content

    [line] = web_activity(resident=resident)

    assert line.summary.startswith(f"Sent {MISSED_BIN} (MBC-")
    assert not line.failed and line.draft_id is None
    signals = web_signals(resident=resident, since=timezone.now() - timedelta(hours=1))
    assert signals.tried_online and not signals.failed_online
    assert signals.service_code == HOUSEHOLD_WASTE


def test_a_form_tried_and_left_then_sent_later_online_is_not_failed(resident, form):
    """Two attempts on different days: the earlier one, left, is made good by the later one."""
    now = timezone.now()
    common = {"user": resident, "journey": "missed-bin", "service_code": HOUSEHOLD_WASTE}
    interaction_record(
        type=InteractionType.FORM_START,
        occurred_at=now - timedelta(days=3),
        extras={"started": "x1"},
        **common,
    )
    interaction_record(
        type=InteractionType.FORM_ABANDON,
        occurred_at=now - timedelta(days=2),
        extras={"started": "x1"},
        **common,
    )
    interaction_record(
        type=InteractionType.FORM_START,
        occurred_at=now - timedelta(days=1),
        extras={"started": "x2"},
        **common,
    )
    interaction_record(
        type=InteractionType.FORM_SUBMIT,
        occurred_at=now - timedelta(hours=20),
        extras={"started": "x2"},
        case_reference="MBC-2026-000009",
        **common,
    )

    sent, left = web_activity(resident=resident)

    assert sent.summary == f"Sent {MISSED_BIN} (MBC-2026-000009)" and not sent.failed
    assert left.summary == f"Started {MISSED_BIN} and stopped at \u201cWhich bin was missed?\u201d"
    assert not left.failed and left.draft_id is None
    assert not web_signals(resident=resident, since=now - timedelta(days=4)).failed_online


def test_failed_payment_feedback_and_sign_ins_in_plain_words(resident):
    now = timezone.now()
    home = Page.objects.get(depth=2)
    page = publish(home, StandardPage(title="Bin collections", slug="bin-collections", body=[]))
    interaction_record(
        type=InteractionType.PAYMENT_START,
        user=resident,
        service_code=BULKY,
        journey="BWC-2026-000123",
        occurred_at=now - timedelta(hours=5),
        extras={"payment": "PAY-1", "amount_pence": 2500},
    )
    interaction_record(
        type=InteractionType.PAYMENT_RESULT,
        user=resident,
        service_code=BULKY,
        journey="BWC-2026-000123",
        case_reference="BWC-2026-000123",
        outcome="failed",
        reason_code="declined",
        occurred_at=now - timedelta(hours=4),
        extras={"payment": "PAY-1", "amount_pence": 2500},
    )
    interaction_record(
        type=InteractionType.PAGE_FEEDBACK,
        user=resident,
        service_code=HOUSEHOLD_WASTE,
        outcome=Outcome.NOT_USEFUL,
        reason_code="not_found",
        path="/bins/bin-collections/",
        occurred_at=now - timedelta(hours=3),
        extras={"page_id": page.pk, "comment": "I couldn't find my collection day"},
    )
    interaction_record(  # "useful": nothing to tell the agent
        type=InteractionType.PAGE_FEEDBACK,
        user=resident,
        outcome=Outcome.USEFUL,
        occurred_at=now - timedelta(hours=3),
    )
    for minutes in (120, 119):
        interaction_record(
            type=InteractionType.AUTH,
            user=resident,
            outcome=Outcome.LOGIN_FAILED,
            occurred_at=now - timedelta(minutes=minutes),
        )
    interaction_record(type=InteractionType.AUTH, user=resident, outcome=Outcome.LOGIN_OK)

    lines = web_activity(resident=resident)

    assert [(line.kind, line.summary, line.failed) for line in lines] == [
        (SIGN_IN, "Could not sign in 2 times (wrong password)", True),
        (
            FEEDBACK,
            "Said a page was not useful: \u201cBin collections\u201d"
            " \u2014 \u201cI couldn't find my collection day\u201d",
            True,
        ),
        (PAYMENT, "Card payment failed: declined (£25, BWC-2026-000123)", True),
    ]
    signals = web_signals(resident=resident, since=now - timedelta(days=1))
    assert signals.tried_online and signals.failed_online
    assert signals.service_code == HOUSEHOLD_WASTE  # the most recent failed try: the feedback

    # The fee is then paid online: the payment is no longer a failure.
    transaction_record(
        kind="form",
        channel=Channel.WEB,
        service_code=BULKY,
        journey="BWC-2026-000123",
        user=resident,
        case_reference="BWC-2026-000123",
    )
    payment = next(line for line in web_activity(resident=resident) if line.kind == PAYMENT)
    assert not payment.failed
    since_payment = web_signals(resident=resident, since=now - timedelta(hours=4, minutes=30))
    assert since_payment.service_code == HOUSEHOLD_WASTE


def test_only_this_residents_recent_web_events_count(resident):
    now = timezone.now()
    someone_else = UserFactory()
    agent = staff_in("Contact centre")
    common = {"journey": "missed-bin", "service_code": HOUSEHOLD_WASTE}
    # another person's event, an event older than the window, and what an agent did by phone
    interaction_record(type=InteractionType.FORM_START, user=someone_else, **common)
    interaction_record(
        type=InteractionType.FORM_START, user=resident, occurred_at=now - timedelta(days=31), **common
    )
    interaction_record(
        type=InteractionType.FORM_START, user=resident, channel=Channel.PHONE, staff=agent, **common
    )
    interaction_record(
        type=InteractionType.PAYMENT_RESULT,
        user=resident,
        channel=Channel.PHONE,
        staff=agent,
        outcome="failed",
        extras={"payment": "PAY-2"},
    )

    assert web_activity(resident=resident) == []
    assert web_activity(resident=resident, days=32) != []
    signals = web_signals(resident=resident, since=now - timedelta(days=7))
    assert (signals.tried_online, signals.failed_online, signals.service_code, signals.summary) == (
        False,
        False,
        None,
        "",
    )
    assert len(web_activity(resident=someone_else)) == 1


def test_a_resident_record_without_web_events_has_no_activity(resident, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert web_activity(resident=resident) == []


def test_a_form_left_online_and_then_sent_for_them_by_staff_is_still_a_failed_web_attempt(
    client, resident, form
):
    draft = stopped_at_address(client, resident)
    # An agent carries on with the draft on the phone, to "Check your answers", and sends it:
    # no web event is recorded, so where the resident stopped online comes from their events.
    Draft.objects.filter(pk=draft.pk).update(
        current_step="check", updated_at=timezone.now() + timedelta(minutes=5)
    )
    draft.refresh_from_db()
    assert draft_transition(draft=draft, to=DraftStatus.SUBMITTED)

    [line] = web_activity(resident=resident)

    assert line.summary == (
        f"Started {MISSED_BIN} and stopped after \u201cWhich bin was missed?\u201d"
        " (sent later with help from staff)"
    )
    assert line.failed and line.draft_id is None
    assert web_signals(resident=resident, since=timezone.now() - timedelta(hours=1)).failed_online
