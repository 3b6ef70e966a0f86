"""The demo loader's forms and teams, and service pages' start buttons pointing at forms."""

from io import StringIO

import pytest

from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings

from wagtail.models import Revision

from cms.models import HomePage, ServiceIndexPage, ServicePage
from forms_engine.demo import FORMS
from forms_engine.models import FormVersion, ServiceForm
from forms_engine.schema import schema_errors
from portal.cases.models import Team
from portal.interactions.models import Interaction

from .factories import form_create, form_published

pytestmark = pytest.mark.django_db

EXPECTED = {
    "report-a-missed-bin": ("report-a-missed-bin", 524, "MB", "none", "Waste services"),
    "book-a-bulky-waste-collection": ("bulky-waste-collection", 528, "BWC", "per_answer", "Waste services"),
    "apply-for-a-resident-parking-permit": ("resident-parking-permit", 474, "PP", "fixed", "Parking"),
    "report-a-pothole": ("report-a-pothole", 557, "PH", "none", "Highways"),
    "request-a-council-tax-change": ("moving-home", 58, "CT", "none", "Council tax"),
    "report-fly-tipping": ("report-fly-tipping", 587, "FT", "none", "Waste services"),
    "report-a-street-light-fault": ("street-light-fault", 564, "SL", "none", "Highways"),
}


def _questions(form) -> dict[str, dict]:
    schema = FormVersion.objects.get(form=form).schema
    return {q["name"]: q for s in schema["steps"] for q in s["questions"]}


def test_the_demo_loads_seven_live_forms_linked_from_their_service_pages(client):
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Online forms: 7 live" in out.getvalue()

    forms = {form.slug: form for form in ServiceForm.objects.all()}
    assert set(forms) == set(EXPECTED)
    for slug, (page_slug, code, prefix, fee, team) in EXPECTED.items():
        form = forms[slug]
        assert form.live and not form.archived, slug
        assert (form.service_id, form.reference_prefix, form.fee_type, form.team.name) == (
            code,
            prefix,
            fee,
            team,
        )
        assert form.sla_working_days and form.confirmation_text and form.next_steps, slug
        assert schema_errors(form) == {}, slug
        assert FormVersion.objects.filter(form=form).count() == 1
        page = ServicePage.objects.get(slug=page_slug)
        assert page.start_form == form and not page.start_url
        assert page.start_link == f"/forms/{slug}/"
        assert f'href="/forms/{slug}/?from=service"' in client.get(page.url).text

    bulky = forms["book-a-bulky-waste-collection"]
    assert (bulky.fee_amount_pence, bulky.fee_field) == (1250, "items")
    items = _questions(bulky)["items"]
    assert (items["type"], items["options"]["min_value"], items["options"]["max_value"]) == (
        "number",
        "1",
        "10",
    )
    assert _questions(bulky)["collection_date"]["options"]["min_days_ahead"] == 3
    assert _questions(bulky)["address"]["options"]["prefill_from_profile"] is True

    permit = forms["apply-for-a-resident-parking-permit"]
    assert permit.fee_amount_pence > 0
    proof = _questions(permit)["proof"]
    assert proof["type"] == "file"
    assert (sorted(proof["options"]["allowed_types"]), proof["options"]["max_size_mb"]) == (
        ["jpg", "pdf", "png"],
        5,
    )

    missed = _questions(forms["report-a-missed-bin"])
    assert missed["bin_type"]["type"] == "radios"
    assert missed["garden_subscription"]["condition"]["field"] == "bin_type"
    assert "address" in missed

    pothole = _questions(forms["report-a-pothole"])
    assert pothole["location"]["options"]["ask_coordinates"] is True
    assert not pothole["photo"]["required"]

    for slug in ("report-fly-tipping", "report-a-street-light-fault"):  # where, on a map or in words
        assert _questions(forms[slug])["location"]["options"]["ask_coordinates"] is True

    tax = forms["request-a-council-tax-change"]
    assert tax.sign_in == "required"
    assert {q["type"] for q in _questions(tax).values()} >= {"date", "declaration"}

    teams = {team.name: team for team in Team.objects.all()}
    assert set(teams) >= {"Waste services", "Highways", "Parking", "Council tax"}
    for team in teams.values():
        assert team.members.filter(email="officer@example.com").exists()

    assert Interaction.objects.filter(journey="report-a-pothole", extras__synthetic=True).exists()


def test_the_demo_forms_load_again_without_changes():
    call_command("load_demo", stdout=StringIO())
    counts = (
        ServiceForm.objects.count(),
        FormVersion.objects.count(),
        Revision.objects.count(),
        Team.objects.count(),
        Interaction.objects.count(),
    )
    call_command("load_demo", stdout=StringIO())
    assert (
        ServiceForm.objects.count(),
        FormVersion.objects.count(),
        Revision.objects.count(),
        Team.objects.count(),
        Interaction.objects.count(),
    ) == counts
    assert len(FORMS) == counts[0] == 7


@override_settings(PORTAL_ALLOW_DEMO_DATA=False)
def test_the_demo_forms_are_refused_in_production():
    with pytest.raises(CommandError):
        call_command("load_demo", stdout=StringIO())
    assert not ServiceForm.objects.exists()


@pytest.fixture
def service_page():
    category = ServiceIndexPage(title="Bins", slug="bins")
    HomePage.objects.get().add_child(instance=category)
    page = ServicePage(title="Report a missed bin", slug="missed-bin", service_id=524)
    category.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_a_service_page_starts_a_published_form(client, service_page):
    form = form_published(slug="missed-bin-form")
    service_page.start_form = form
    service_page.full_clean()
    service_page.save_revision().publish()
    service_page.refresh_from_db()
    assert service_page.start_link == "/forms/missed-bin-form/"
    html = client.get(service_page.url).text
    assert 'href="/forms/missed-bin-form/?from=service"' in html and "Start now" in html

    api = client.get(f"/api/v2/pages/{service_page.pk}/").json()
    assert api["start_link"] == "/forms/missed-bin-form/"
    catalogue = client.get("/api/v2/services/").json()["items"]
    assert catalogue[0]["start_url"] == "http://testserver/forms/missed-bin-form/"


def test_a_draft_form_gives_no_start_button_until_it_is_published(client, service_page):
    form = form_create(slug="missed-bin-form")
    service_page.start_form = form
    service_page.save_revision().publish()
    assert service_page.start_link == ""
    assert "/forms/missed-bin-form/" not in client.get(service_page.url).text

    form.save_revision().publish()
    service_page.refresh_from_db()
    assert (
        'href="/forms/missed-bin-form/?from=service"' in client.get(service_page.url).text
    )  # cache refreshed


def test_an_archived_form_still_starts_from_its_page_to_show_the_closed_message(service_page):
    form = form_published(slug="missed-bin-form")
    ServiceForm.objects.filter(pk=form.pk).update(archived=True)
    service_page.start_form = form
    assert service_page.start_link == "/forms/missed-bin-form/"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"start_url": "https://example.org/x"}, {"start_url"}),
        ({"start_page_id": "home"}, {"start_page"}),
        ({"start_page_id": "home", "start_url": "https://example.org/x"}, {"start_page", "start_url"}),
    ],
)
def test_a_start_button_goes_to_one_place_only(service_page, fields, errors):
    service_page.start_form = form_published(slug="missed-bin-form")
    for name, value in fields.items():
        setattr(service_page, name, HomePage.objects.get().pk if value == "home" else value)
    with pytest.raises(ValidationError) as raised:
        service_page.full_clean()
    assert set(raised.value.message_dict) == errors
    assert "Choose one place for the start button to go" in str(raised.value)


def test_deleting_a_form_leaves_the_page_without_a_form(service_page):
    form = form_create(slug="missed-bin-form")
    service_page.start_form = form
    service_page.save()
    form.delete()
    service_page.refresh_from_db()
    assert service_page.start_form is None
