"""Residents only ever see their own forms in progress: everyone else gets 404."""

import pytest

from django.test import Client
from django.urls import reverse

from forms_engine.models import Draft
from forms_engine.services import draft_claim, draft_resume_link_send
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import missed_bin_form
from tests.forms_engine.helpers import form_start

pytestmark = pytest.mark.django_db


def _draft_urls(draft: Draft) -> list[str]:
    kwargs = {"slug": draft.version.form.slug, "draft": draft.pk}
    return [
        reverse("forms_engine:resume_draft", kwargs=kwargs),
        reverse("forms_engine:step", kwargs={**kwargs, "number": 1}),
        reverse("forms_engine:step", kwargs={**kwargs, "number": 3}),
        reverse("forms_engine:check", kwargs=kwargs),
        reverse("forms_engine:saved", kwargs=kwargs),
    ]


def test_another_resident_gets_404_on_every_url_of_a_draft(web):
    missed_bin_form(sign_in="optional")
    owner, other = UserFactory(), UserFactory()
    web.force_login(owner)
    draft = form_start(web, "missed-bin")
    web.post(_draft_urls(draft)[1], {"bin_type": "Recycling"})
    intruder = Client()
    intruder.force_login(other)
    for url in _draft_urls(draft):
        assert web.get(url).status_code in (200, 302), url
        assert intruder.get(url).status_code == 404, url
        assert intruder.post(url, {"bin_type": "General waste"}).status_code == 404, url
    # Someone signed out is asked to sign in (no one learns anything without the account).
    assert Client().get(_draft_urls(draft)[1])["Location"].startswith("/accounts/login/")
    draft.refresh_from_db()
    assert draft.answers == {"bin_type": "Recycling"}


def test_another_browser_gets_404_on_an_anonymous_draft(web):
    missed_bin_form()
    draft = form_start(web, "missed-bin")
    other = Client()
    other.get("/forms/missed-bin/")
    for url in _draft_urls(draft):
        assert other.get(url).status_code == 404, url
    signed_in = Client()
    signed_in.force_login(UserFactory())
    assert signed_in.get(_draft_urls(draft)[1]).status_code == 404
    draft.refresh_from_db()
    assert draft.user is None


def test_a_resume_link_for_a_draft_now_in_someone_elses_account_is_404(web):
    missed_bin_form(sign_in="optional")
    draft = form_start(web, "missed-bin")
    token = draft_resume_link_send(draft=draft, email="b@example.org")
    owner = UserFactory()
    draft_claim(draft=draft, user=owner)
    intruder = Client()
    intruder.force_login(UserFactory())
    assert intruder.get(f"/forms/resume/{token}/").status_code == 404
    assert Client().get(f"/forms/resume/{token}/")["Location"].startswith("/accounts/login/")
    mine = Client()
    mine.force_login(owner)
    assert mine.get(f"/forms/resume/{token}/")["Location"] == f"/forms/missed-bin/{draft.pk}/"


def test_a_draft_url_under_another_forms_address_is_404(web):
    missed_bin_form()
    missed_bin_form(slug="missed-bin-2")
    draft = form_start(web, "missed-bin")
    url = reverse("forms_engine:step", kwargs={"slug": "missed-bin-2", "draft": draft.pk, "number": 1})
    assert web.get(url).status_code == 404
