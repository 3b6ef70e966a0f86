"""A published page is in the search index at once, without a task worker."""

import pytest

from django.test import override_settings

from cms.models import ServicePage
from tests.cms.factories import BROWSER

pytestmark = pytest.mark.django_db

# The queue that takes tasks and runs none: as a production site with its worker down.
NO_WORKER = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def test_search_finds_a_page_published_while_no_worker_runs(client, site):
    with override_settings(TASKS=NO_WORKER):
        page = ServicePage(title="Quokka sightings", slug="quokka-sightings", summary="Report a quokka")
        site.bins.add_child(instance=page)
        page.save_revision().publish()
    response = client.get("/search/", {"q": "quokka"}, **BROWSER)
    assert "Quokka sightings" in [hit.page.title for hit in response.context["search"].hits]


def test_a_draft_is_not_found(client, site):
    with override_settings(TASKS=NO_WORKER):
        page = ServicePage(title="Wombat sightings", slug="wombat-sightings", summary="Draft", live=False)
        site.bins.add_child(instance=page)
        page.save_revision()
    response = client.get("/search/", {"q": "wombat"}, **BROWSER)
    assert "Wombat sightings" not in [hit.page.title for hit in response.context["search"].hits]
