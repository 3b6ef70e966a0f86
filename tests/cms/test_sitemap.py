"""sitemap.xml (wagtail.contrib.sitemaps) and robots.txt."""

import pytest

pytestmark = pytest.mark.django_db


def test_sitemap_lists_live_public_pages_only(client, site):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    xml = response.text
    for page in (site.home, site.bins, site.missed_bin, site.bulky, site.guide, site.news, site.contact):
        assert f"<loc>http://localhost{page.url}</loc>" in xml, page.url
    assert "staff-rota" not in xml and "/detail/" not in xml
    assert "draft-service" not in xml
    assert "<lastmod>" in xml


def test_sitemap_has_the_a_to_z_and_every_guide_part(client, site):
    xml = client.get("/sitemap.xml").text
    assert "<loc>http://localhost/a-to-z/</loc>" in xml
    assert "<loc>http://localhost/bins/recycling-guide/</loc>" in xml
    assert "<loc>http://localhost/bins/recycling-guide/christmas/</loc>" in xml
    assert "<loc>http://localhost/bins/recycling-guide/which-bin/</loc>" not in xml  # the guide's own address


def test_robots_txt_keeps_crawlers_out_of_private_areas_and_points_to_the_sitemap(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/admin/", "/django-admin/", "/my-account/", "/accounts/", "/api/"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines  # the public site stays crawlable
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_neither_is_logged_as_a_page_view(client, db):
    from portal.interactions.models import Interaction

    client.get("/robots.txt", HTTP_USER_AGENT="Mozilla/5.0 Chrome/156")
    client.get("/sitemap.xml", HTTP_USER_AGENT="Mozilla/5.0 Chrome/156")
    assert not Interaction.objects.exists()
