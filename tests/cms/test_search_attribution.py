"""Searches carry a service: editors' search terms (keywords, promotions) and followed results."""

import pytest

from django.test import Client

from wagtail.contrib.search_promotions.models import Query, SearchPromotion

from cms import page_cache
from cms.models import ServicePage
from cms.selectors import search_service_code
from cms.services import search_term_add
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from tests.accounts.factories import staff_in
from tests.cms.factories import BROWSER, publish

pytestmark = pytest.mark.django_db


def _search(client, q: str) -> Interaction:
    client.get("/search/", {"q": q}, **BROWSER)
    return Interaction.objects.filter(type=InteractionType.SEARCH).latest("pk")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("rubbish", 524),  # the keyword itself
        ("RUBBISH collection", 524),  # every word of the keyword is in the query, any case
        ("old sofas", 528),  # "sofas" is the keyword "sofa", plural folded
        ("fridge", 528),
        ("council tax", None),  # no keyword's words are all in the query
        ("rub", None),  # part of a word is not the word
    ],
)
def test_a_search_matching_a_service_keyword_records_that_service(client, site, query, code):
    assert _search(client, query).service_code == code


def test_a_search_with_no_matching_keyword_records_no_service(client, site):
    search = _search(client, "zzyzx quokka")
    assert search.service_code is None
    assert search.extras == {"query": "zzyzx quokka", "count": 0}


def test_the_most_specific_keyword_wins_then_tree_order(client, site):
    publish(
        site.bins,
        ServicePage(title="Garden waste", slug="garden", service_id=557, keywords="garden bin, bin"),
    )
    # "bin" is only a keyword of the garden waste page; "garden bin" has two words and wins.
    assert _search(client, "garden bin").service_code == 557
    site.missed_bin.keywords = "rubbish, bin day"
    site.missed_bin.save_revision().publish()
    # "bin day" (2 words, missed bin 524) beats "bin" (1 word, garden 557).
    assert _search(client, "when is bin day").service_code == 524
    # Two one-word keywords: the page first in the tree (missed bin, then bulky, then garden).
    site.bulky.keywords = "sofa, bin"
    site.bulky.save_revision().publish()
    assert search_service_code(site=site.home.get_site(), query="bin") == 528


def test_keywords_of_drafts_and_private_pages_do_not_count(client, site):
    site.draft.keywords = "skip"
    site.draft.save_revision()  # not published: the draft page is not live
    assert _search(client, "skip").service_code is None


def test_a_promotion_to_a_service_page_attributes_the_search(client, site):
    SearchPromotion.objects.create(
        query=Query.get("skip hire"), page=site.bulky, sort_order=0, description=""
    )
    search = _search(client, "Skip  hire")
    assert search.service_code == 528
    assert search.outcome == "results"  # the promoted page is a result


def test_a_promotion_wins_over_a_keyword(client, site):
    SearchPromotion.objects.create(query=Query.get("rubbish"), page=site.bulky, sort_order=0, description="")
    assert _search(client, "rubbish").service_code == 528


def test_a_term_added_from_the_report_attributes_later_searches(client, site):
    moderator = staff_in("Moderators")
    assert _search(client, "skip hire").service_code is None
    assert search_term_add(user=moderator, page=site.bulky, query="Skip hire") == "keyword"
    search = _search(client, "skip hire")
    assert (search.outcome, search.service_code) == ("results", 528)


def test_following_a_search_result_says_so_on_the_page_view(client, site):
    client.get("/bins/missed-bin/", HTTP_REFERER="http://testserver/search/?q=missed++bin&page=1", **BROWSER)
    view = Interaction.objects.filter(type=InteractionType.PAGE_VIEW, path="/bins/missed-bin/").get()
    assert view.extras == {"from_search": "missed bin"}
    assert view.service_code == 524


@pytest.mark.parametrize(
    "referer",
    [
        "",
        "http://testserver/bins/",  # another page of the site
        "http://elsewhere.example/search/?q=bins",  # another site's search
        "http://testserver/search/",  # the search page without a query
        "http://testserver/search/?q=+++",
    ],
)
def test_other_page_views_carry_no_from_search(client, site, referer):
    client.get("/bins/missed-bin/", HTTP_REFERER=referer, **BROWSER)
    view = Interaction.objects.filter(type=InteractionType.PAGE_VIEW, path="/bins/missed-bin/").get()
    assert view.extras == {}


def test_paging_through_results_is_not_following_one(client, site):
    client.get(
        "/search/", {"q": "bins", "page": 2}, HTTP_REFERER="http://testserver/search/?q=bins", **BROWSER
    )
    view = Interaction.objects.filter(type=InteractionType.PAGE_VIEW, path="/search/").get()
    assert view.extras == {}


def test_the_query_kept_is_at_most_200_characters(client, site):
    long = "a" * 300
    client.get("/bins/missed-bin/", HTTP_REFERER=f"http://testserver/search/?q={long}", **BROWSER)
    view = Interaction.objects.filter(type=InteractionType.PAGE_VIEW).get()
    assert view.extras == {"from_search": "a" * 200}


def test_pages_served_from_the_page_cache_record_from_search_too(site, django_assert_max_num_queries):
    assert page_cache.enabled()
    Client().get("/bins/missed-bin/", **BROWSER)  # creates the council settings: a new content version
    Client().get("/bins/missed-bin/", **BROWSER)  # stored for the current content version
    Interaction.objects.all().delete()
    with django_assert_max_num_queries(4) as queries:
        hit = Client().get("/bins/missed-bin/", HTTP_REFERER="http://testserver/search/?q=rubbish", **BROWSER)
    assert not any("wagtailcore_page" in q["sql"] for q in queries.captured_queries)  # a cache hit
    assert hit.status_code == 200 and page_cache.NONCE_PLACEHOLDER not in hit.text
    view = Interaction.objects.get()
    assert (view.type, view.service_code, view.extras) == (
        InteractionType.PAGE_VIEW,
        524,
        {"from_search": "rubbish"},
    )
