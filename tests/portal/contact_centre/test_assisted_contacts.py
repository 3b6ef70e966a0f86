from datetime import timedelta

import pytest

from django.urls import reverse
from django.utils import timezone

from wagtail.permissions import policy_registry

from portal.interactions.constants import AvoidableCategory, Channel, InteractionType, Outcome
from portal.interactions.models import AssistedContact, Interaction
from portal.interactions.services import assisted_contact_record, interaction_record
from tests.accounts.factories import StaffFactory, UserFactory, staff_in
from tests.portal.cases.factories import case_make, team_make

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/assisted-contacts/"
ADD_URL = "/admin/assisted-contacts/new/"
POTHOLES, FLY_TIPPING = 557, 587


@pytest.fixture
def team():
    return team_make("Highways", "highways@council.example")


@pytest.fixture
def officer(team):
    """An officer of the Highways team: they see its cases, and contacts they or a team-mate recorded."""
    user = staff_in("Case officers")
    team.members.add(user)
    return user


@pytest.fixture
def their_case(team):
    return case_make(team=team, service_code=POTHOLES, reference_prefix="POT")


@pytest.fixture
def manager():
    return staff_in("Service managers")


def answers(**overrides) -> dict:
    data = {
        "channel": Channel.PHONE,
        "service_code": str(POTHOLES),
        "reason_code": "8",
        "avoidable": "yes",
        "avoidable_category": AvoidableCategory.PROGRESS_CHASING,
        "resolved_first_contact": "no",
        "resident_email": "",
        "case_reference": "",
        "notes": "",
        "occurred_at": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def record(**overrides):
    """A contact recorded through the service, as the create view does."""
    kwargs = {
        "staff": StaffFactory(),
        "channel": Channel.PHONE,
        "service_code": POTHOLES,
        "reason_code": "8",
        "avoidable": False,
        "resolved_first_contact": True,
    }
    kwargs.update(overrides)
    return assisted_contact_record(**kwargs)


def test_the_urls_are_the_viewsets():
    assert reverse("assisted_contacts:index") == LIST_URL
    assert reverse("assisted_contacts:add") == ADD_URL


def test_a_case_officer_records_a_phone_call_with_every_answer(client, officer, their_case):
    resident = UserFactory(email="sam.jones@example.org")
    now = timezone.localtime()
    # Earlier today (shortly after midnight, two hours ago would be yesterday's count).
    when = max(now - timedelta(hours=2), now.replace(hour=0, minute=0, second=0, microsecond=0))
    client.force_login(officer)

    page = client.get(ADD_URL)
    assert page.status_code == 200
    assert "Record a contact" in page.text
    assert "How did the resident contact the council?" in page.text
    assert 'value="Potholes (557)"' not in page.text  # services are options, not free text
    assert "Potholes – Roads, highways and pavements (557)" in page.text

    response = client.post(
        ADD_URL,
        answers(
            resident_email="Sam.Jones@Example.org",
            case_reference=f" {their_case.reference.lower()} ",
            notes="Rang to chase the repair of the pothole outside number 4.",
            occurred_at=when.strftime("%Y-%m-%dT%H:%M"),
        ),
        follow=True,
    )

    assert response.redirect_chain == [(ADD_URL, 302)]
    contact = AssistedContact.objects.get()
    assert contact.type == InteractionType.ASSISTED_CONTACT
    assert contact.channel == Channel.PHONE
    assert contact.service_code == POTHOLES
    assert contact.reason_code == "8"
    assert contact.avoidable is True
    assert contact.avoidable_category == AvoidableCategory.PROGRESS_CHASING
    assert contact.resolved_first_contact is False
    assert contact.outcome == Outcome.UNRESOLVED
    assert contact.staff == officer
    assert contact.user == resident
    assert contact.case_reference == their_case.reference  # as the case spells it
    assert contact.extras == {"notes": "Rang to chase the repair of the pothole outside number 4."}
    assert contact.occurred_at == when.replace(second=0, microsecond=0)

    # Back on an empty form, ready for the next call, with a link to the list.
    assert "Contact recorded: Telephone, Potholes (557)" in response.text
    assert f'href="{LIST_URL}"' in response.text
    form = response.context["form"]
    assert not form.is_bound
    assert their_case.reference not in response.text
    assert "You have recorded 1 contact today." in response.text


def test_an_anonymous_contact_is_recorded_now(client, officer):
    client.force_login(officer)
    before = timezone.now()
    response = client.post(
        ADD_URL,
        answers(
            channel=Channel.FACE_TO_FACE,
            service_code=str(FLY_TIPPING),
            avoidable="no",
            avoidable_category="",
            resolved_first_contact="yes",
        ),
    )
    assert response.status_code == 302
    contact = AssistedContact.objects.get()
    assert contact.user is None
    assert contact.channel == Channel.FACE_TO_FACE
    assert contact.service_code == FLY_TIPPING
    assert contact.avoidable is False
    assert contact.avoidable_category == ""
    assert contact.resolved_first_contact is True
    assert contact.outcome == Outcome.RESOLVED
    assert contact.extras == {}
    assert before <= contact.occurred_at <= timezone.now()


def test_the_time_defaults_to_now(client, officer):
    client.force_login(officer)
    # Shown to the minute: from the start of the minute the page was asked for, until now.
    asked = timezone.now().replace(second=0, microsecond=0)
    form = client.get(ADD_URL).context["form"]
    shown = form.initial["occurred_at"]
    assert asked <= shown <= timezone.now()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"channel": None}, "Choose how the resident contacted the council"),
        ({"channel": Channel.WEB}, "Choose how the resident contacted the council"),
        ({"service_code": ""}, "Choose the service"),
        ({"service_code": "99999"}, "Choose the service"),
        ({"reason_code": ""}, "Choose the reason for the contact"),
        ({"avoidable": None}, "Choose whether the contact was avoidable"),
        ({"avoidable_category": ""}, "Choose why the contact was avoidable"),
        (
            {"avoidable": "no"},
            "Remove why the contact was avoidable, or answer yes to ‘Was the contact avoidable?’",
        ),
        ({"resolved_first_contact": None}, "Choose whether the contact was resolved at first contact"),
        (
            {"resident_email": "nobody@example.org"},
            "No resident account uses this email address. Check it, or leave it blank to record the "
            "contact without an account",
        ),
        (
            {"resident_email": "not-an-email"},
            "Enter an email address in the correct format, like name@example.com",
        ),
        ({"case_reference": "X" * 41}, "Case reference must be 40 characters or fewer"),
        ({"case_reference": "POT-2026-999999"}, "Enter the reference of a case you can see"),
        ({"notes": "x" * 501}, "Notes must be 500 characters or fewer"),
        (
            {"occurred_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
            "The time of the contact must be now or in the past",
        ),
        ({"occurred_at": "yesterday-ish"}, "Enter the date and time of the contact"),
    ],
    ids=[
        "missing channel",
        "web is not assisted",
        "missing service",
        "unknown service",
        "missing reason",
        "missing avoidable",
        "avoidable without category",
        "category when not avoidable",
        "missing resolved",
        "unknown resident email",
        "malformed email",
        "long case reference",
        "no such case",
        "long notes",
        "future time",
        "not a time",
    ],
)
def test_each_error_reshows_the_form_with_the_message_and_the_other_answers(
    client, officer, their_case, overrides, message
):
    client.force_login(officer)
    kept = {"case_reference": their_case.reference, "notes": "Asked about the new bins"}
    data = answers(**{**kept, **overrides})
    response = client.post(ADD_URL, data)

    assert response.status_code == 200
    assert not AssistedContact.objects.exists()
    assert "There is a problem" in response.text
    assert message in response.text.replace("&#x27;", "'")
    form = response.context["form"]
    assert form.is_bound
    for name, value in data.items():
        if name not in overrides:
            assert form[name].value() == value
    if "case_reference" not in overrides:
        assert f'value="{their_case.reference}"' in response.text
    if "notes" not in overrides:
        assert "Asked about the new bins</textarea>" in response.text
    if "service_code" not in overrides:
        assert f'<option value="{POTHOLES}" selected>' in response.text


def test_the_error_summary_links_to_each_field(client, officer):
    client.force_login(officer)
    response = client.post(ADD_URL, answers(channel=None, service_code=""))
    assert '<a href="#id_channel_0">Choose how the resident contacted the council</a>' in response.text
    assert '<a href="#id_service_code">Choose the service</a>' in response.text


def test_the_services_used_most_come_first(client, officer):
    for _ in range(3):
        record(service_code=FLY_TIPPING)
    record(service_code=POTHOLES)
    client.force_login(officer)
    choices = client.get(ADD_URL).context["form"].fields["service_code"].choices
    assert choices[0] == ("", "Choose a service")
    group, most_used = choices[1]
    assert group == "Most used"
    assert [code for code, _ in most_used][:2] == [FLY_TIPPING, POTHOLES]
    group, everything = choices[2]
    assert group == "All services, A to Z"
    assert len(everything) == 672


def test_a_case_officer_can_correct_a_contact_with_the_same_rules(client, officer, team):
    recorder = staff_in("Case officers")
    team.members.add(recorder)  # a team-mate's general contact (its reference matches no case)
    contact = record(staff=recorder, case_reference="BWC-1")
    url = reverse("assisted_contacts:edit", args=[contact.pk])
    client.force_login(officer)

    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["avoidable"].value() == "no"
    assert form["resolved_first_contact"].value() == "yes"

    bad = client.post(url, answers(avoidable="no", avoidable_category=AvoidableCategory.REPEAT))
    assert bad.status_code == 200
    assert "Remove why the contact was avoidable" in bad.text
    contact.refresh_from_db()
    assert contact.avoidable is False

    occurred_at = contact.occurred_at
    good = client.post(
        url,
        answers(
            channel=Channel.EMAIL,
            avoidable="yes",
            avoidable_category=AvoidableCategory.REPEAT,
            resolved_first_contact="no",
            notes="Second email this week",
            occurred_at=timezone.localtime(occurred_at).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert good.status_code == 302
    contact.refresh_from_db()
    assert contact.channel == Channel.EMAIL
    assert contact.avoidable_category == AvoidableCategory.REPEAT
    assert contact.outcome == Outcome.UNRESOLVED
    assert contact.extras == {"notes": "Second email this week"}
    assert contact.staff == recorder  # the recorder never changes
    assert contact.type == InteractionType.ASSISTED_CONTACT
    assert contact.occurred_at == occurred_at  # untouched minutes keep their seconds


def test_a_case_officer_cannot_delete_a_contact(client, officer):
    contact = record(staff=officer)
    client.force_login(officer)
    response = client.post(reverse("assisted_contacts:delete", args=[contact.pk]))
    assert response.status_code in (302, 403)
    assert AssistedContact.objects.filter(pk=contact.pk).exists()
    assert "Delete" not in client.get(reverse("assisted_contacts:edit", args=[contact.pk])).text


@pytest.mark.parametrize("who", ["resident", "staff without a group", "editor"])
def test_people_without_the_permission_get_no_access(client, who):
    user = {
        "resident": lambda: UserFactory(),
        "staff without a group": lambda: StaffFactory(),
        "editor": lambda: staff_in("Editors"),
    }[who]()
    contact = record()
    client.force_login(user)
    for url in (LIST_URL, ADD_URL, reverse("assisted_contacts:edit", args=[contact.pk])):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            assert not response["Location"].startswith(LIST_URL)
    response = client.post(ADD_URL, answers())
    assert response.status_code in (302, 403)
    assert AssistedContact.objects.count() == 1


def test_service_managers_can_read_the_list_but_not_record_or_edit(client, manager):
    contact = record(notes="Asked for a callback")
    client.force_login(manager)

    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    assert "Potholes (557)" in listing.text
    assert ADD_URL not in listing.text

    details = client.get(reverse("assisted_contacts:inspect", args=[contact.pk]))
    assert details.status_code == 200
    assert "Asked for a callback" in details.text

    assert client.get(ADD_URL).status_code in (302, 403)
    assert client.post(ADD_URL, answers()).status_code in (302, 403)
    assert client.get(reverse("assisted_contacts:edit", args=[contact.pk])).status_code in (302, 403)
    assert AssistedContact.objects.count() == 1


def test_the_list_shows_only_assisted_contacts_newest_first(client, officer):
    interaction_record(type=InteractionType.PAGE_VIEW, path="/bins/")
    interaction_record(type=InteractionType.SEARCH, channel=Channel.WEB, outcome=Outcome.NO_RESULTS)
    older = record(occurred_at=timezone.now() - timedelta(days=2), service_code=FLY_TIPPING, staff=officer)
    newer = record(avoidable=True, avoidable_category=AvoidableCategory.CLARIFICATION, staff=officer)
    officer.full_name = "Nia Officer"
    officer.save()
    client.force_login(officer)

    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert [contact.pk for contact in response.context["object_list"]] == [newer.pk, older.pk]
    text = response.text
    for heading in ("When", "Channel", "Service", "Reason", "Avoidable", "Resolved at first contact"):
        assert f">{heading}" in text or heading in text
    assert "Recorded by" in text
    assert "Nia Officer" in text
    assert "Yes: Seeking clarification" in text
    assert "Flytipping (587)" in text
    assert "Record a contact" in text

    page_view = Interaction.objects.get(type=InteractionType.PAGE_VIEW)
    assert client.get(reverse("assisted_contacts:edit", args=[page_view.pk])).status_code == 404
    assert AssistedContact.objects.count() == 2


def test_the_list_filters_by_channel_avoidable_and_category(client, officer):
    phone = record(channel=Channel.PHONE, staff=officer)
    letter = record(
        channel=Channel.LETTER, avoidable=True, avoidable_category=AvoidableCategory.REPEAT, staff=officer
    )
    email = record(
        channel=Channel.EMAIL,
        avoidable=True,
        avoidable_category=AvoidableCategory.INFO_NOT_ONLINE,
        staff=officer,
    )
    client.force_login(officer)

    def listed(**params):
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        return {contact.pk for contact in response.context["object_list"]}

    assert listed(channel=Channel.LETTER) == {letter.pk}
    assert listed(avoidable="no") == {phone.pk}
    assert listed(avoidable="yes") == {letter.pk, email.pk}
    assert listed(avoidable_category=AvoidableCategory.INFO_NOT_ONLINE) == {email.pk}


def test_the_permission_policy_reads_the_proxy_models_own_permissions(officer, manager):
    policy = policy_registry.get_by_type(AssistedContact)
    assert set(policy.users_with_permission("add")) == {officer}
    assert set(policy.users_with_permission("view")) == {officer, manager}
    assert policy.user_has_permission(officer, "change")
    assert not policy.user_has_permission(officer, "delete")
    assert not policy.user_has_permission(manager, "add")


def test_the_group_editor_offers_the_assisted_contact_permissions():
    from portal.contact_centre.wagtail_hooks import assisted_contact_viewset

    codenames = set(assisted_contact_viewset.get_permissions_to_register().values_list("codename", flat=True))
    assert {"add_assistedcontact", "change_assistedcontact", "view_assistedcontact"} <= codenames
    assert "add_interaction" not in codenames


def test_case_officers_see_the_menu_items(client, officer, manager):
    client.force_login(officer)
    home = client.get("/admin/").text
    assert "Record a contact" in home
    assert "Assisted contacts" in home
    client.force_login(manager)
    home = client.get("/admin/").text
    assert "Record a contact" not in home
    assert "Assisted contacts" in home


def test_the_list_finds_a_case_reference_or_resident_and_filters_by_date_and_recorder(
    client, officer, their_case
):
    resident = UserFactory(email="pat.lee@example.org")
    mine = record(staff=officer, resident=resident)
    old = record(case_reference=their_case.reference, occurred_at=timezone.now() - timedelta(days=10))
    client.force_login(officer)

    def listed(**params):
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        return {contact.pk for contact in response.context["object_list"]}

    assert listed(q=their_case.reference) == {old.pk}
    assert listed(q="pat.lee") == {mine.pk}
    assert listed(recorded_by="me") == {mine.pk}
    today = timezone.localdate().isoformat()
    assert listed(occurred_at_from=today, occurred_at_to=today) == {mine.pk}


def test_a_rule_the_service_enforces_is_shown_as_a_message(client, officer, monkeypatch):
    from portal.contact_centre.admin_views import contacts as admin_views
    from portal.interactions.services import InteractionError

    def refuse(**kwargs):
        raise InteractionError("Choose how the resident contacted the council")

    monkeypatch.setattr(admin_views, "assisted_contact_record", refuse)
    client.force_login(officer)
    response = client.post(ADD_URL, answers())
    assert response.status_code == 200
    assert "Choose how the resident contacted the council" in response.text
    assert not AssistedContact.objects.exists()
