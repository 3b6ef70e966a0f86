"""Search synonyms editors manage (Settings → Search synonyms): validation, expansion of words
and phrases in search, cached results going stale when a group changes, and the A to Z."""

import pytest

from django.core.exceptions import ValidationError

from cms.models import ServicePage, SynonymGroup
from cms.selectors import search_concepts, search_terms, synonym_index
from tests.accounts.factories import staff_in
from tests.cms.factories import BROWSER, publish

pytestmark = pytest.mark.django_db

ADD = "/admin/search-synonyms/add/"


def _titles(client, query: str) -> list[str]:
    response = client.get("/search/", {"q": query}, **BROWSER)
    assert response.status_code == 200
    return [hit.page.title for hit in response.context["search"].hits]


def _group(words: str, **kwargs) -> SynonymGroup:
    group = SynonymGroup(words=words, **kwargs)
    group.full_clean()
    group.save()
    return group


# --- the snippet --------------------------------------------------------------------------


def test_words_are_tidied_lower_case_each_once():
    group = _group("Bin, bins ,  RUBBISH,rubbish, Wheelie   bin,")
    assert group.words == "bin, bins, rubbish, wheelie bin"


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("", "This field cannot be blank"),
        ("bin", "Enter at least 2 words or phrases"),
        ("bin, bin, , ", "Enter at least 2 words or phrases"),
        (
            "a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u",
            "Enter 20 words or phrases or fewer",
        ),
        ("bin, the big green wheelie bin", "Each phrase must be 4 words or fewer"),
    ],
)
def test_a_group_needs_two_to_twenty_short_phrases(words, message):
    with pytest.raises(ValidationError) as raised:
        SynonymGroup(words=words).full_clean()
    assert message in " ".join(raised.value.message_dict["words"])


def test_a_word_can_be_in_only_one_group():
    first = _group("bin, rubbish")
    with pytest.raises(ValidationError) as raised:
        SynonymGroup(words="refuse, Rubbish").full_clean()
    (message,) = raised.value.message_dict["words"]
    assert message.startswith("“rubbish” is already in the group “bin, rubbish”")
    first.words = "bin, rubbish, refuse"
    first.full_clean()  # its own words are not "another group"
    # The same word to a search, written differently: a plural, another case, a stop word.
    for words, shared in [("bins, wheelie", "bins"), ("the rubbish, junk", "the rubbish")]:
        with pytest.raises(ValidationError) as raised:
            SynonymGroup(words=words).full_clean()
        assert raised.value.message_dict["words"][0].startswith(f"“{shared}” is already in the group")


def test_editors_add_a_group_and_errors_are_shown_with_the_field(client):
    client.force_login(staff_in("Editors"))
    assert client.get("/admin/search-synonyms/").status_code == 200
    response = client.post(ADD, {"words": "bin"})
    assert response.status_code == 200
    html = response.text
    assert "Enter at least 2 words or phrases that mean the same" in html
    assert 'aria-invalid="true"' in html or "error-message" in html
    assert not SynonymGroup.objects.exists()
    response = client.post(ADD, {"words": "bin, rubbish"})
    assert response.status_code == 302
    assert SynonymGroup.objects.get().words == "bin, rubbish"


def test_case_officers_cannot_change_synonyms(client):
    client.force_login(staff_in("Case officers"))
    assert client.get(ADD).status_code in (302, 403)


# --- search -------------------------------------------------------------------------------


def test_a_word_finds_pages_with_its_synonyms(client, site):
    assert "Report a missed bin" not in _titles(client, "trash")
    _group("bin, trash, garbage")
    titles = _titles(client, "trash")
    assert titles[0] in {"Report a missed bin", "Bins and recycling"}
    assert "Report a missed bin" in titles
    # The plural of a word in the group is in the group too.
    assert "Report a missed bin" in _titles(client, "garbages")


def test_a_phrase_finds_pages_with_its_synonyms_and_the_other_way_round(client, site):
    tax = publish(site.home, ServicePage(title="Pay your council tax", slug="pay-tax", summary="Pay online."))
    assert _titles(client, "ctax") == []
    _group("council tax, ctax")
    assert _titles(client, "ctax") == [tax.title]
    assert tax.title in _titles(client, "how do I pay my ctax")
    publish(site.home, ServicePage(title="Ctax reminders", slug="reminders", summary="Texts."))
    assert "Ctax reminders" in _titles(client, "council tax")


def test_longest_phrase_first():
    _group("wheelie bin, green bin")
    _group("bin, rubbish")
    concepts = search_concepts(search_terms("broken wheelie bin"), synonym_index())
    assert [c.typed for c in concepts] == ["broken", "wheelie bin"]
    assert concepts[1].alternatives == (("wheelie", "bin"), ("green", "bin"))
    (bins,) = search_concepts(search_terms("bins"), synonym_index())
    assert bins.alternatives == (("bins",), ("rubbish",))


def test_changing_or_deleting_a_group_makes_cached_searches_stale(client, site):
    assert _titles(client, "trash") == []  # cached now
    group = _group("bin, trash")
    assert "Report a missed bin" in _titles(client, "trash")
    group.words = "bin, garbage"
    group.save()
    assert _titles(client, "trash") == []
    assert "Report a missed bin" in _titles(client, "garbage")
    group.delete()
    assert _titles(client, "garbage") == []


def test_a_synonym_is_offered_as_did_you_mean(client, site):
    _group("bin, rubbish")
    response = client.get("/search/", {"q": "rubish"}, **BROWSER)
    assert response.context["search"].suggestion == "rubbish"


# --- the A to Z ---------------------------------------------------------------------------


def test_the_a_to_z_lists_synonyms_pointing_at_their_service(client, site):
    _group("bin, bins, rubbish, refuse, wheelie bin")  # "rubbish, refuse": the missed bin's keywords
    html = client.get("/a-to-z/", **BROWSER).text
    url = site.missed_bin.url
    assert f'Rubbish — see <a class="govuk-link" href="{url}">Report a missed bin</a>' in html
    assert f'Wheelie bin — see <a class="govuk-link" href="{url}">Report a missed bin</a>' in html
    assert "Bin — see" not in html and "Bins — see" not in html  # in the page's title already
    assert html.index('id="letter-R"') < html.index("Refuse — see") < html.index("Rubbish — see")
    # Letters with entries are links to their heading; the others are not links.
    assert '<a class="govuk-link" href="#letter-W">W</a>' in html
    assert (
        'href="#letter-Q"' not in html
        and 'Q<span class="govuk-visually-hidden"> (no services)</span>' in html
    )


def test_the_a_to_z_uses_the_page_editors_chose(client, site):
    _group("bulky items, big rubbish", a_to_z_page=site.bulky)
    html = client.get("/a-to-z/", **BROWSER).text
    assert f'Big rubbish — see <a class="govuk-link" href="{site.bulky.url}">{site.bulky.title}</a>' in html


def test_a_group_that_finds_no_service_adds_nothing_to_the_a_to_z(client, site):
    _group("quokka, wombat")
    html = client.get("/a-to-z/", **BROWSER).text
    assert "Quokka" not in html and "Wombat" not in html


def test_the_a_to_z_follows_a_changed_group(client, site):
    client.get("/a-to-z/", **BROWSER)
    _group("bin, litter")
    assert "Litter — see" in client.get("/a-to-z/", **BROWSER).text
