"""'Was this page useful?': without JavaScript (POST/redirect) and as htmx fragments."""

import pytest

from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.models import Interaction
from tests.accounts.factories import UserFactory
from tests.cms.factories import BROWSER

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", **BROWSER}


def _feedback():
    return list(Interaction.objects.filter(type=InteractionType.PAGE_FEEDBACK).order_by("pk"))


def _answer(client, page, useful, path=None, **extra):
    return client.post(
        "/feedback/", {"page": page.pk, "path": path or page.url, "useful": useful}, **{**BROWSER, **extra}
    )


def test_every_council_page_ends_with_the_question(client, site):
    for page in (site.home, site.bins, site.missed_bin, site.news, site.contact):
        html = client.get(page.url, **BROWSER).text
        assert "Was this page useful?" in html, page.url
        assert f'name="page" value="{page.pk}"' in html
        assert 'name="csrfmiddlewaretoken"' in html
    html = client.get("/search/?q=bins", **BROWSER).text
    assert "Was this page useful?" in html


def test_not_shown_on_my_account_or_sign_in(client, site):
    assert "Was this page useful?" not in client.get("/accounts/login/", **BROWSER).text
    client.force_login(UserFactory())
    assert "Was this page useful?" not in client.get("/my-account/", **BROWSER).text


def test_yes_without_javascript_records_useful_and_returns_to_the_page(client, site):
    response = _answer(client, site.missed_bin, "yes")
    assert response.status_code == 302
    assert response["Location"] == "/bins/missed-bin/#page-feedback"
    (feedback,) = _feedback()
    assert feedback.outcome == Outcome.USEFUL
    assert feedback.service_code == 524
    assert feedback.path == "/bins/missed-bin/"
    assert feedback.extras == {"page_id": site.missed_bin.pk}
    html = client.get("/bins/missed-bin/", **BROWSER).text
    assert "Thank you for your feedback" in html and "Was this page useful?" not in html


def test_no_without_javascript_goes_to_the_optional_form_and_back(client, site):
    response = _answer(client, site.missed_bin, "no")
    assert response.status_code == 302
    assert response["Location"].startswith("/feedback/what-went-wrong/?")
    (feedback,) = _feedback()
    assert feedback.outcome == Outcome.NOT_USEFUL and feedback.service_code == 524

    form_page = client.get(response["Location"], **BROWSER)
    assert form_page.status_code == 200
    html = form_page.text
    assert "Help us improve this page" in html and "What went wrong? (optional)" in html
    assert "Do not include personal information" in html
    assert 'href="/bins/missed-bin/"' in html  # back to the page

    done = client.post(
        "/feedback/what-went-wrong/",
        {
            "page": site.missed_bin.pk,
            "path": "/bins/missed-bin/",
            "reason": "service_failed",
            "comment": "The map would not load. Email me at jo@example.org or 07700 900123",
        },
        **BROWSER,
    )
    assert done.status_code == 302 and done["Location"] == "/bins/missed-bin/#page-feedback"
    (feedback,) = _feedback()  # the same answer, now with its reason
    assert feedback.outcome == Outcome.NOT_USEFUL
    assert feedback.reason_code == "service_failed"
    assert (
        feedback.extras["comment"]
        == "The map would not load. Email me at [email removed] or [number removed]"
    )
    assert "Thank you for your feedback" in client.get("/bins/missed-bin/", **BROWSER).text


def test_the_reason_form_can_be_sent_empty(client, site):
    _answer(client, site.bulky, "no")
    done = client.post(
        "/feedback/what-went-wrong/", {"page": site.bulky.pk, "path": site.bulky.url}, **BROWSER
    )
    assert done.status_code == 302
    (feedback,) = _feedback()
    assert feedback.reason_code == "" and "comment" not in feedback.extras


def test_too_long_a_comment_is_an_error_in_govuk_style(client, site):
    _answer(client, site.bulky, "no")
    response = client.post(
        "/feedback/what-went-wrong/",
        {"page": site.bulky.pk, "path": site.bulky.url, "comment": "x" * 1001},
        **BROWSER,
    )
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "Tell us more in 1000 characters or fewer" in response.text
    assert 'href="#feedback-comment"' in response.text


def test_htmx_yes_swaps_in_thanks(client, site):
    response = _answer(client, site.news, "yes", **HTMX)
    assert response.status_code == 200
    html = response.text.strip()
    assert html.startswith('<section class="portal-feedback" id="page-feedback"')
    assert "Thank you for your feedback" in html and "autofocus" in html
    assert "<html" not in html
    (feedback,) = _feedback()
    assert feedback.outcome == Outcome.USEFUL and feedback.service_code is None


def test_htmx_no_swaps_in_the_form_then_thanks(client, site):
    response = _answer(client, site.guide, "no", **HTMX)
    html = response.text
    assert 'hx-post="/feedback/what-went-wrong/"' in html and 'name="reason"' in html
    done = client.post(
        "/feedback/what-went-wrong/",
        {"page": site.guide.pk, "path": site.guide.url, "reason": "unclear"},
        **HTMX,
    )
    assert "Thank you for your feedback" in done.text
    (feedback,) = _feedback()
    assert feedback.service_code == 524  # the guide's service
    assert feedback.outcome == Outcome.NOT_USEFUL and feedback.reason_code == "unclear"


def test_one_answer_per_page_per_session(client, site):
    _answer(client, site.missed_bin, "yes")
    _answer(client, site.missed_bin, "no")
    _answer(client, site.missed_bin, "yes", **HTMX)
    assert len(_feedback()) == 1
    _answer(client, site.bulky, "yes")
    assert len(_feedback()) == 2


def test_a_reason_needs_a_no_first_and_is_taken_once(client, site):
    data = {"page": site.bulky.pk, "path": site.bulky.url, "reason": "other"}
    assert client.post("/feedback/what-went-wrong/", data, **BROWSER).status_code == 302
    assert _feedback() == []
    _answer(client, site.bulky, "no")
    client.post("/feedback/what-went-wrong/", data, **BROWSER)
    client.post("/feedback/what-went-wrong/", {**data, "reason": "unclear"}, **BROWSER)
    (feedback,) = _feedback()
    assert feedback.reason_code == "other"


def test_the_service_code_comes_from_the_page_never_the_browser(client, site):
    client.post(
        "/feedback/",
        {"page": site.bulky.pk, "path": site.bulky.url, "useful": "yes", "service_code": "999"},
        **BROWSER,
    )
    (feedback,) = _feedback()
    assert feedback.service_code == 528


def test_private_or_draft_page_ids_give_no_service_code(client, site):
    _answer(client, site.private, "yes")
    _answer(client, site.draft, "yes", path="/bins/draft-service/")
    assert [f.service_code for f in _feedback()] == [None, None]


def test_feedback_only_returns_to_this_site(client, site):
    for path in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = client.post("/feedback/", {"page": "", "path": path, "useful": "yes"}, **BROWSER)
        assert response.status_code == 400, path
    assert _feedback() == []


def test_feedback_needs_a_csrf_token(site):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/feedback/", {"page": site.bulky.pk, "path": site.bulky.url, "useful": "yes"})
    assert response.status_code == 403
    assert _feedback() == []


def test_feedback_on_a_guide_part_returns_to_that_part(client, site):
    part = site.guide.url + "christmas/"
    assert "Was this page useful?" in client.get(part, **BROWSER).text
    response = _answer(client, site.guide, "yes", path=part)
    assert response["Location"] == part + "#page-feedback"
    assert _feedback()[0].path == part


def test_opening_the_feedback_address_in_a_browser_goes_back_to_the_page_not_a_blank_405(client, site):
    response = client.get("/feedback/", {"path": site.missed_bin.url}, **BROWSER)
    assert response.status_code == 302
    assert response["Location"] == site.missed_bin.url
    for path in ("", "https://evil.example/", "//evil.example/x", "bins"):
        response = client.get("/feedback/", {"path": path} if path else {}, **BROWSER)
        assert (response.status_code, response["Location"]) == (302, "/"), path
    assert client.get("/feedback/", follow=True, **BROWSER).status_code == 200
    assert not _feedback()  # nothing recorded
