"""The headless API: page shapes, only live public pages, filters, the service catalogue, images."""

import io

import pytest
from PIL import Image as PILImage

from django.core.files.images import ImageFile

from wagtail.documents.models import Document
from wagtail.images.models import Image

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def _titles(data):
    return {item["title"] for item in data["items"]}


def _image(title="Recycling centre"):
    buffer = io.BytesIO()
    PILImage.new("RGB", (1200, 900), "teal").save(buffer, "PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name="centre.png"))


def test_only_live_public_pages_are_listed(client, site):
    titles = _titles(_get(client, "/api/v2/pages/", limit=100))
    assert {"Report a missed bin", "Bins and recycling", "Contact us", "Recycling guide"} <= titles
    assert "Staff bins rota" not in titles and "Private bins detail" not in titles
    assert "Bins draft service" not in titles


def test_private_pages_stay_hidden_from_signed_in_sessions_too(client, site):
    client.force_login(UserFactory())
    titles = _titles(_get(client, "/api/v2/pages/", limit=100))
    assert "Staff bins rota" not in titles and "Private bins detail" not in titles
    for page in (site.private, site.private_child, site.draft):
        assert client.get(f"/api/v2/pages/{page.pk}/").status_code == 404
        assert (
            client.get("/api/v2/pages/find/", {"html_path": page.url or "/bins/draft-service/"}).status_code
            == 404
        )


def test_a_published_page_with_a_newer_draft_serves_the_published_version(client, site):
    site.missed_bin.title = "Draft title nobody should see"
    site.missed_bin.save_revision()
    data = _get(client, f"/api/v2/pages/{site.missed_bin.pk}/")
    assert data["title"] == "Report a missed bin"


def test_filter_by_type(client, site):
    data = _get(client, "/api/v2/pages/", type="cms.ServicePage")
    assert _titles(data) == {"Report a missed bin", "Book a bulky waste collection"}
    assert {item["meta"]["type"] for item in data["items"]} == {"cms.ServicePage"}


def test_filter_by_service_code(client, site):
    assert _titles(_get(client, "/api/v2/pages/", service_code=524)) == {
        "Report a missed bin",
        "Recycling guide",
    }
    assert _titles(_get(client, "/api/v2/pages/", type="cms.ServicePage", service_code=528)) == {
        "Book a bulky waste collection"
    }
    assert _titles(_get(client, "/api/v2/pages/", service_code=587)) == set()  # only a draft has it
    assert client.get("/api/v2/pages/", {"service_code": "bins"}).status_code == 400


def test_service_page_shape(client, site):
    data = _get(client, f"/api/v2/pages/{site.missed_bin.pk}/")
    assert data["meta"]["type"] == "cms.ServicePage"
    assert data["meta"]["html_url"] == "http://localhost/bins/missed-bin/"
    assert data["service_code"] == 524
    assert data["summary"].startswith("Tell us if your bin")
    assert data["keywords"] == "rubbish, refuse"
    assert data["start_link"] == "https://services.council.example/missed-bin"
    assert data["category"] == "Bins and recycling"
    (paragraph,) = data["body"]
    assert paragraph["type"] == "paragraph"
    # Rich text inside StreamField comes with its links resolved.
    assert paragraph["value"] == '<p>Report it <a href="/">online</a>.</p>'
    for field in ("before_you_start", "start_label", "contact", "related_links"):
        assert field in data


def test_rich_text_format_can_be_chosen(client, site):
    data = _get(client, f"/api/v2/pages/{site.missed_bin.pk}/", rich_text_format="db_html")
    assert 'linktype="page"' in data["body"][0]["value"]
    data = _get(client, f"/api/v2/pages/{site.missed_bin.pk}/", rich_text_format="markdown")
    assert data["body"][0]["value"].strip() == "Report it [online](/)."


def test_every_page_type_has_its_fields(client, site):
    expected = {
        site.home.pk: ("cms.HomePage", {"summary", "intro", "top_tasks", "body"}),
        site.bins.pk: ("cms.ServiceIndexPage", {"summary", "intro"}),
        site.guide.pk: ("cms.GuidePage", {"summary", "service_code", "parts"}),
        site.news.pk: ("cms.NewsPage", {"summary", "date", "body"}),
        site.contact.pk: ("cms.ContactPage", {"summary", "intro", "online_options", "body"}),
        site.news_index.pk: ("cms.NewsIndexPage", {"summary"}),
    }
    for pk, (page_type, fields) in expected.items():
        data = _get(client, f"/api/v2/pages/{pk}/")
        assert data["meta"]["type"] == page_type
        assert fields <= set(data), (page_type, fields - set(data))
    home = _get(client, f"/api/v2/pages/{site.home.pk}/")
    assert home["top_tasks"][0]["value"]["href"] == "https://example.org/missed"
    guide = _get(client, f"/api/v2/pages/{site.guide.pk}/")
    assert [p["value"]["slug"] for p in guide["parts"]] == ["which-bin", "christmas"]
    assert _get(client, f"/api/v2/pages/{site.news.pk}/")["date"] == "2026-03-01"


def test_standard_page_with_images_and_documents_in_its_body(client, site):
    from cms.models import StandardPage
    from tests.cms.factories import publish

    image = _image()
    document = Document.objects.create(
        title="Opening hours", file=ImageFile(io.BytesIO(b"%PDF-1.4"), name="hours.pdf")
    )
    page = publish(
        site.home,
        StandardPage(
            title="Visit the recycling centre",
            slug="visit",
            body=[
                ("image", {"image": image, "alt_text": "The centre", "decorative": False, "caption": ""}),
                ("document", {"document": document, "text": ""}),
                ("call_to_action", {"text": "Book a slot", "page": site.bulky, "url": "", "start": True}),
            ],
        ),
    )
    data = _get(client, f"/api/v2/pages/{page.pk}/")
    image_block, document_block, cta = data["body"]
    assert image_block["value"]["alt_text"] == "The centre"
    renditions = image_block["value"]["image"]["renditions"]
    assert set(renditions) == {"thumbnail", "medium", "large"}
    assert renditions["medium"]["width"] == 800 and renditions["medium"]["url"].startswith("/media/images/")
    assert document_block["value"]["document"]["title"] == "Opening hours"
    assert document_block["value"]["document"]["url"].startswith("http://testserver/documents/")
    assert cta["value"]["page"] == site.bulky.pk
    assert cta["value"]["href"] == "http://localhost/bins/bulky-waste/"


def test_images_endpoint_has_renditions(client, db):
    image = _image()
    data = _get(client, "/api/v2/images/")
    (item,) = data["items"]
    assert item["id"] == image.pk
    assert item["renditions"]["thumbnail"]["width"] == 320
    detail = _get(client, f"/api/v2/images/{image.pk}/")
    assert detail["width"] == 1200 and "large" in detail["renditions"]


def test_documents_endpoint(client, db):
    document = Document.objects.create(
        title="Council tax bands", file=ImageFile(io.BytesIO(b"x"), name="bands.csv")
    )
    data = _get(client, "/api/v2/documents/")
    assert [d["title"] for d in data["items"]] == ["Council tax bands"]
    assert data["items"][0]["meta"]["download_url"].endswith(f"/documents/{document.pk}/bands.csv")


def test_service_catalogue(client, site):
    data = _get(client, "/api/v2/services/")
    assert data["meta"]["total_count"] == 2
    bulky, missed = data["items"]
    assert missed == {
        "id": site.missed_bin.pk,
        "meta": {
            "type": "cms.ServicePage",
            "detail_url": missed["meta"]["detail_url"],
            "html_url": "http://localhost/bins/missed-bin/",
            "slug": "missed-bin",
            "first_published_at": missed["meta"]["first_published_at"],
        },
        "title": "Report a missed bin",
        "service_code": 524,
        "service_name": missed["service_name"],
        "summary": "Tell us if your bin was not emptied on collection day.",
        "start_url": "https://services.council.example/missed-bin",
        "category": "Bins and recycling",
    }
    assert missed["service_name"]  # the LGSL label
    assert missed["meta"]["detail_url"].endswith(f"/api/v2/pages/{site.missed_bin.pk}/")
    assert bulky["start_url"] == "http://localhost/bins/missed-bin/"  # an online form on this site
    assert _titles(_get(client, "/api/v2/services/", service_code=528)) == {"Book a bulky waste collection"}
    detail = _get(client, f"/api/v2/services/{site.bulky.pk}/")
    assert detail["category"] == "Bins and recycling" and detail["service_code"] == 528


def test_service_catalogue_leaves_out_private_and_draft_services(client, site):
    from cms.models import ServicePage
    from tests.cms.factories import make_private, publish

    make_private(publish(site.bins, ServicePage(title="Staff parking", slug="staff-parking", service_id=474)))
    assert _titles(_get(client, "/api/v2/services/")) == {
        "Report a missed bin",
        "Book a bulky waste collection",
    }


def test_service_catalogue_queries_do_not_grow_with_services(
    client, site, settings, django_assert_max_num_queries
):
    from cms.models import ServicePage

    settings.CMS_PAGE_CACHE_ENABLED = False  # measure the uncached work
    from tests.cms.factories import publish

    client.get("/api/v2/services/")
    with django_assert_max_num_queries(12) as first:
        client.get("/api/v2/services/")
    for n in range(10):
        publish(
            site.bins,
            ServicePage(title=f"Service {n}", slug=f"service-{n}", service_id=524, start_page=site.bulky),
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        data = _get(client, "/api/v2/services/")
    assert data["meta"]["total_count"] == 12
