"""An editor builds a small form in Wagtail, publishes it, links it from a service page and
opens it from the site. axe-core runs on every page, the Wagtail admin's included (with the
narrow exceptions in tests/e2e/axe_staff_exceptions.py)."""

import re

import pytest

from django.contrib.auth.models import Group

from cms.models import HomePage, ServiceIndexPage, ServicePage
from forms_engine.models import FormVersion, ServiceForm
from tests.accounts.factories import staff_in
from tests.e2e.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _service_page() -> ServicePage:
    category = ServiceIndexPage(title="Streets", slug="streets", summary="Streets and pavements.")
    HomePage.objects.get().add_child(instance=category)
    category.save_revision().publish()
    page = ServicePage(
        title="Report graffiti", slug="report-graffiti", summary="Tell us about graffiti.", service_id=587
    )
    category.add_child(instance=page)
    page.save_revision().publish()
    return page


def _add_block(page, field, option: str | None = None):
    """Click a StreamField's "+" (the last one in ``field``) and pick a block type if asked."""
    field.locator("button[title='Insert a block'], button[aria-label='Insert a block']").last.click()
    if option:
        page.get_by_role("option", name=option, exact=True).click()


def test_an_editor_builds_publishes_and_links_a_form(journey):
    editor = staff_in("Editors", full_name="Eddie Editor")
    # Editors publish forms themselves; publishing the page needs the Moderators' rights.
    editor.groups.add(Group.objects.get(name="Moderators"))
    service_page = _service_page()
    page = journey.page

    page.goto(journey.base_url + "/admin/forms/")
    journey.check()  # the portal's sign-in page
    sign_in(journey, editor)
    assert journey.path() == "/admin/forms/"
    journey.check()

    journey.goto("/admin/forms/add/")
    page.locator("#id_title").fill("Report graffiti")
    page.locator("#id_slug").fill("report-graffiti")

    steps = page.locator("[data-contentpath='steps']").first
    _add_block(page, steps)
    page.locator("#steps-0-value-title").fill("Where is the graffiti?")
    questions = steps.locator("[data-contentpath='questions']").first
    _add_block(page, questions, "Text (one line)")
    page.locator("#steps-0-value-questions-0-value-label").fill("Street name")
    page.locator("#steps-0-value-questions-0-value-name").fill("street")
    _add_block(page, questions, "Choose one (radios)")
    page.locator("#steps-0-value-questions-1-value-label").fill("Is it offensive?")
    page.locator("#steps-0-value-questions-1-value-name").fill("offensive")
    page.locator("#steps-0-value-questions-1-value-choices-0-value").fill("Yes")
    page.locator("[data-contentpath='choices']").last.get_by_role(
        "button", name=re.compile("Insert a block|Add")
    ).last.click()
    page.locator("#steps-0-value-questions-1-value-choices-1-value").fill("No")
    page.locator("#id_reference_prefix").fill("GR")
    journey.check()  # the builder with a choice question open

    page.locator("footer .dropdown-toggle, footer [data-w-dropdown-target='toggle']").first.click()
    with page.expect_navigation():
        page.locator("button[name='action-publish']").click()
    form = ServiceForm.objects.get(slug="report-graffiti")
    assert form.live and FormVersion.objects.filter(form=form, number=1).exists()
    schema = FormVersion.objects.get(form=form).schema
    assert [q["name"] for q in schema["steps"][0]["questions"]] == ["street", "offensive"]

    # Point the service page's start button at the form with the snippet chooser.
    journey.check()
    journey.goto(f"/admin/pages/{service_page.pk}/edit/")
    page.get_by_role("button", name=re.compile("Choose (a )?service form", re.IGNORECASE)).click()
    page.get_by_role("dialog").get_by_role("link", name="Report graffiti").click()
    page.locator("footer .dropdown-toggle, footer [data-w-dropdown-target='toggle']").first.click()
    with page.expect_navigation():
        page.locator("button[name='action-publish']").click()
    service_page.refresh_from_db()
    assert service_page.start_form_id == form.pk

    # On the site: the service page's start button opens the form. The page says nothing about
    # what to have ready, so the form's own start page does, then its first question shows.
    journey.goto("/streets/report-graffiti/")
    start = page.get_by_role("button", name="Start now")
    assert start.get_attribute("href") == "/forms/report-graffiti/?from=service"
    journey.click_and_check(start)
    assert journey.path() == "/forms/report-graffiti/?from=service"
    assert page.get_by_role("heading", level=1).inner_text() == "Report graffiti"
    begin = page.get_by_role("button", name=re.compile("Start now"))
    if not begin.count():  # say what the page showed instead, so a failure can be read
        raise AssertionError(page.locator("main").inner_text()[:2000])
    journey.click_and_check(begin)
    assert page.get_by_label("Street name").is_visible()
    assert page.get_by_text("Is it offensive?").is_visible()
