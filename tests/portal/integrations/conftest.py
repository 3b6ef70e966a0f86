"""Fixtures for the integrations' tests: the fake back offices and mail server (real servers on
127.0.0.1). Other helpers' fixtures live in their own modules."""

from tests.fakes.open311_server import fake_open311  # noqa: F401 - the fixture
from tests.fakes.smtp_sink import smtp_sink  # noqa: F401 - the fixture
from tests.fakes.webhook_receiver import webhook_receiver  # noqa: F401 - the fixture
