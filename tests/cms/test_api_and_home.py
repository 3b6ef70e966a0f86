import pytest

from cms.models import HomePage

pytestmark = pytest.mark.django_db


def test_home_page_is_served_by_wagtail(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "<h1" in response.text and "Welcome to your council online" in response.text


def test_pages_api_lists_the_home_page_as_json(client):
    response = client.get("/api/v2/pages/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["meta"]["total_count"] >= 1
    titles = [item["title"] for item in data["items"]]
    assert "Welcome to your council online" in titles


def test_pages_api_serves_the_home_page_fields(client):
    home = HomePage.objects.get()
    response = client.get(f"/api/v2/pages/{home.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["meta"]["type"] == "cms.HomePage"
    assert data["intro"].startswith("Report a problem")
    assert data["body"] == []
