"""Site search: results, highlighting, "did you mean", promotions, zero results, and the log."""

import pytest

from wagtail.contrib.search_promotions.models import Query, SearchPromotion

from cms.services import highlight
from portal.interactions.constants import InteractionType, Outcome
from portal.interactions.models import Interaction
from tests.cms.factories import BROWSER

pytestmark = pytest.mark.django_db


def _searches():
    return list(Interaction.objects.filter(type=InteractionType.SEARCH).order_by("pk"))


def test_search_finds_live_public_pages_and_records_the_search(client, site):
    response = client.get("/search/", {"q": "bins"}, **BROWSER)
    assert response.status_code == 200
    titles = [hit.page.title for hit in response.context["search"].hits]
    assert "Report a missed bin" in titles  # "bins" finds "bin" (plural folded)
    assert "Bins and recycling" in titles
    assert "Staff bins rota" not in titles and "Private bins detail" not in titles
    assert "Bins draft service" not in titles
    (search,) = _searches()
    assert search.outcome == Outcome.RESULTS
    assert search.extras == {"query": "bins", "count": len(titles)}
    assert search.path == "/search/"


def test_zero_results_record_no_results_and_offer_next_steps(client, site):
    response = client.get("/search/", {"q": "zzyzx quokka"}, **BROWSER)
    assert response.status_code == 200
    html = response.text
    assert "No pages matched your search" in html
    assert "Popular tasks" in html and "Pay your council tax" in html
    assert "/a-to-z/" in html and "A to Z of council services" in html
    assert 'href="/contact/"' in html
    (search,) = _searches()
    assert search.outcome == Outcome.NO_RESULTS
    assert search.extras == {"query": "zzyzx quokka", "count": 0}


def test_results_are_highlighted_and_escaped(client, site):
    site.bulky.summary = "Sofas <script>alert(1)</script> & fridges"
    site.bulky.save_revision().publish()
    response = client.get("/search/", {"q": "sofa"}, **BROWSER)
    html = response.text
    assert '<mark class="portal-search__mark">Sofas</mark>' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; fridges" in html


def test_highlight_escapes_every_piece():
    assert highlight("Bins <b>& bags</b>", ["bins"]) == (
        '<mark class="portal-search__mark">Bins</mark> &lt;b&gt;&amp; bags&lt;/b&gt;'
    )
    assert highlight("A <i>", []) == "A &lt;i&gt;"


def test_did_you_mean_suggests_a_spelling_that_finds_pages(client, site):
    response = client.get("/search/", {"q": "bulkey"}, **BROWSER)
    search = response.context["search"]
    assert search.count == 0
    assert search.suggestion == "bulky"
    assert 'Did you mean <a class="govuk-link" href="/search/?q=bulky">bulky</a>?' in response.text
    (logged,) = _searches()
    assert logged.outcome == Outcome.NO_RESULTS


def test_words_not_all_on_one_page_fall_back_to_any_word(client, site):
    response = client.get("/search/", {"q": "how do I book a sofa quokka"}, **BROWSER)
    search = response.context["search"]
    assert not search.all_words
    assert [hit.page.title for hit in search.hits] == ["Book a bulky waste collection"]
    assert "No page has all of your words" in response.text


def test_promoted_results_come_first(client, site):
    promotion = SearchPromotion.objects.create(
        query=Query.get("council tax"), page=site.contact, description="Call us about council tax."
    )
    response = client.get("/search/", {"q": "Council  Tax"}, **BROWSER)
    assert response.context["search"].promotions == [promotion]
    assert "Best match" in response.text and "Call us about council tax." in response.text
    (logged,) = _searches()
    assert logged.outcome == Outcome.RESULTS  # something was offered


def test_promotions_of_private_pages_are_not_shown(client, site):
    SearchPromotion.objects.create(query=Query.get("rota"), page=site.private)
    response = client.get("/search/", {"q": "rota"}, **BROWSER)
    assert response.context["search"].promotions == []
    assert "Staff bins rota" not in response.text


def test_pagination_records_only_the_first_page(client, site):
    from cms.models import ServicePage
    from tests.cms.factories import publish

    for n in range(12):
        publish(site.bins, ServicePage(title=f"Waste service {n}", slug=f"waste-{n}", summary="Waste."))
    first = client.get("/search/", {"q": "waste"}, **BROWSER)
    assert first.context["search"].count == 13
    assert len(first.context["search"].hits) == 10
    assert 'rel="next"' in first.text
    second = client.get("/search/", {"q": "waste", "page": 2}, **BROWSER)
    assert len(second.context["search"].hits) == 3
    assert "(page 2)" in second.text
    assert len(_searches()) == 1


def test_empty_search_shows_the_form_and_records_nothing(client, site):
    response = client.get("/search/", **BROWSER)
    assert response.status_code == 200
    assert 'name="q"' in response.text
    assert _searches() == []


def test_bots_searching_are_not_recorded(client, site):
    client.get("/search/", {"q": "bins"}, HTTP_USER_AGENT="Googlebot/2.1")
    assert _searches() == []


def test_htmx_search_returns_only_the_results(client, site):
    response = client.get("/search/", {"q": "bins"}, HTTP_HX_REQUEST="true", **BROWSER)
    assert response.text.lstrip().startswith('<div id="search-results"')
    assert "<html" not in response.text
    assert len(_searches()) == 1


def test_query_characters_that_mean_something_to_the_engine_are_harmless(client, site):
    for query in ['"bins', "bins*", "-bins OR", "NEAR(", "'; DROP TABLE", "***"]:
        assert client.get("/search/", {"q": query}, **BROWSER).status_code == 200


def test_every_page_links_to_search(client, site):
    html = client.get("/", **BROWSER).text
    assert 'action="/search/"' in html and 'name="q"' in html
