"""Fixtures for the cms tests (page builders live in tests/cms/content.py)."""

import pytest

from tests.cms.factories import CouncilSite


@pytest.fixture
def site(db) -> CouncilSite:
    """A small council site: services, a guide, news, a contact page, a private page and a draft."""
    return CouncilSite()
