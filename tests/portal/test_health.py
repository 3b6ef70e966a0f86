import json
import urllib.error
import urllib.request

import pytest

from tests.servers import portal_server

pytestmark = pytest.mark.django_db


def test_healthz_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(
    "database_url",
    [
        "sqlite:////nonexistent-directory/portal.sqlite3",
        "postgres://postgres@127.0.0.1:9/portal",  # the discard port: nothing listens
    ],
    ids=["sqlite-unopenable", "postgres-refused"],
)
def test_healthz_is_503_when_the_database_is_down(database_url):
    with (
        portal_server({"DATABASE_URL": database_url}) as base_url,
        pytest.raises(urllib.error.HTTPError) as excinfo,
    ):
        # The worker loads the whole project before it answers: generous on a busy machine.
        urllib.request.urlopen(f"{base_url}/healthz", timeout=90)
    assert excinfo.value.code == 503
    assert json.loads(excinfo.value.read()) == {"status": "error", "database": "unreachable"}
