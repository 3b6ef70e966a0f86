"""Fixtures shared by the portal's tests."""

from tests.cms.conftest import site  # noqa: F401 - the small council site (page cache, outage, buffer)
