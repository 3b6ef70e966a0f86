"""Search ranking: the best match first, on SQLite and PostgreSQL alike.

A page with the searcher's words in its title beats one with them in a service page's
keywords, which beats one with them in its summary, which beats one that only mentions them
in its body, whatever the full-text engine's own rank says (the body-only pages here say the
word many times, so the engine would put them first).
"""

from io import StringIO

import pytest

from django.core.management import call_command

from cms.models import HomePage, ServiceIndexPage, ServicePage, StandardPage, SynonymGroup
from cms.selectors import page_search
from tests.cms.factories import BROWSER, publish

pytestmark = pytest.mark.django_db


def _paragraph(text: str) -> list:
    return [("paragraph", f"<p>{text}</p>")]


@pytest.fixture
def pages():
    home = HomePage.objects.get()
    section = publish(home, ServiceIndexPage(title="Animals", slug="animals", summary="Animal services."))
    return {
        "body": publish(
            section,
            StandardPage(
                title="Winter weather",
                slug="winter",
                summary="Snow and ice.",
                body=_paragraph("Quokka quokka quokka: quokka sightings of a quokka near the quokka bins."),
            ),
        ),
        "summary": publish(
            section,
            StandardPage(
                title="Wildlife notes",
                slug="wildlife",
                summary="Notes about the quokka.",
                body=_paragraph("Nothing else here."),
            ),
        ),
        "keywords": publish(
            section,
            ServicePage(
                title="Animal sightings", slug="sightings", summary="Tell us.", keywords="quokka, wombat"
            ),
        ),
        "title": publish(
            section,
            ServicePage(title="Report a quokka", slug="report-quokka", summary="Tell us.", keywords=""),
        ),
    }


def _titles(client, query: str) -> list[str]:
    response = client.get("/search/", {"q": query}, **BROWSER)
    assert response.status_code == 200
    return [hit.page.title for hit in response.context["search"].hits]


def test_title_then_keywords_then_summary_then_body(client, pages):
    assert _titles(client, "quokka") == [
        "Report a quokka",
        "Animal sightings",
        "Wildlife notes",
        "Winter weather",
    ]


def test_the_words_in_order_in_a_title_come_before_the_same_words_apart(client, pages):
    publish(
        pages["title"].get_parent(),
        StandardPage(title="Sightings: what a quokka looks like", slug="apart", body=_paragraph("x")),
    )
    publish(
        pages["title"].get_parent(),
        StandardPage(title="Quokka sightings", slug="phrase", body=_paragraph("x")),
    )
    titles = _titles(client, "quokka sightings")
    assert titles[:2] == ["Quokka sightings", "Sightings: what a quokka looks like"]
    assert titles.index("Winter weather") == len(titles) - 1  # both words, but only in its body


def test_a_synonym_in_the_title_beats_the_word_itself_only_in_the_body(client, pages):
    SynonymGroup.objects.create(words="bin, bins, quokka bin")
    publish(
        pages["title"].get_parent(), StandardPage(title="Missed bin", slug="missed", body=_paragraph("x"))
    )
    titles = _titles(client, "bins")
    assert titles == ["Missed bin", "Winter weather"]


def test_the_word_typed_beats_its_synonym_in_the_same_place(client, pages):
    SynonymGroup.objects.create(words="wombat, quokka")
    titles = _titles(client, "wombat")
    # "Report a quokka" has the synonym in its title, "Animal sightings" the word typed in its
    # keywords: the title wins; the synonym counts a little less than the word only in a tie.
    assert titles[0] == "Report a quokka"
    publish(
        pages["title"].get_parent(), StandardPage(title="Wombat walks", slug="wombats", body=_paragraph("x"))
    )
    assert _titles(client, "wombat")[:2] == ["Wombat walks", "Report a quokka"]


def test_bins_finds_the_bin_pages_before_the_gritting_page(client, site):
    publish(
        site.bins,
        ServicePage(
            title="Gritting and winter weather",
            slug="gritting",
            summary="Which roads we grit when ice or snow is forecast.",
            body=_paragraph(
                "We do not grit pavements, but you can use the salt in the yellow grit bins, bins, bins."
            ),
        ),
    )
    titles = _titles(client, "bins")
    gritting = titles.index("Gritting and winter weather")
    assert titles.index("Report a missed bin") < gritting and titles.index("Bins and recycling") < gritting
    # After it only pages that, like it, have the word in their body alone.
    assert set(titles[gritting:]) <= {"Gritting and winter weather", "Recycling guide"}


def test_bins_in_the_demo_finds_the_bin_pages_first(client):
    call_command("load_demo", stdout=StringIO())
    titles = _titles(client, "bins")
    assert titles[0] != "Gritting and winter weather"
    assert {"Bin collection days", "Report a missed bin"} <= set(titles[:5])
    assert titles.index("Gritting and winter weather") > titles.index("Report a missed bin")
    # A synonym of the demo's groups: "rubbish" finds the bin pages too.
    assert "Bin collection days" in _titles(client, "rubbish")[:5]


def test_only_the_best_matches_are_ranked_and_all_are_counted(pages, monkeypatch):
    site = HomePage.objects.get().get_site()
    monkeypatch.setattr("cms.selectors.MAX_RANKED", 2)
    found = page_search(site=site, query="quokka")
    assert found.count == 4  # counted by the backend, past the ranked ones
    assert len(found.ranked) == 2


def test_results_past_the_ranked_ones_are_paginated(client, pages, monkeypatch):
    monkeypatch.setattr("cms.selectors.MAX_RANKED", 2)
    monkeypatch.setattr("cms.services.RESULTS_PER_PAGE", 1)
    seen = []
    for number in range(1, 5):
        response = client.get("/search/", {"q": "quokka", "page": number}, **BROWSER)
        assert response.context["search"].count == 4
        seen += [hit.page.title for hit in response.context["search"].hits]
    assert sorted(seen) == sorted(page.title for page in pages.values())
