"""The Open311 server driven by an independent client library from PyPI (``georeport``), over
real HTTP to a live server, in JSON and in XML.

``georeport`` reads only (services, service definitions, requests); it cannot file a report,
so the report is POSTed with ``requests``, form-encoded as the spec says, and read back with
the library.
"""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from portal.cases.constants import Actor, CaseStatus
from portal.cases.models import Case
from portal.cases.services import case_transition
from tests.portal.integrations import open311_fixtures
from tests.portal.integrations.open311_fixtures import o311_post_data

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The shared fixtures (open311_fixtures), made visible to this module's tests.
o311_form = open311_fixtures.o311_form
o311_client = open311_fixtures.o311_client


def _as_list(value):
    """xmltodict gives a lone element as a dict and several as a list."""
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_reads_services_definitions_and_requests(
    live_server, o311_form, o311_client, output_format
):
    base = f"{live_server.url}/open311/v2"
    _api_client, key = o311_client
    filed = requests.post(
        f"{base}/requests.{output_format}", data={**o311_post_data(), "api_key": key}, timeout=30
    )
    assert filed.status_code == 200, filed.text
    if output_format == "json":
        reference = filed.json()[0]["service_request_id"]
    else:
        reference = filed.text.split("<service_request_id>")[1].split("</service_request_id>")[0]
    case_transition(
        case=Case.objects.get(reference=reference),
        to=CaseStatus.RESOLVED,
        actor_role=Actor.STAFF,
        message="Fixed",
    )

    library = GeoReport(base, jurisdiction="anytown", output_format=output_format)

    services = _as_list(library.get_service_list())
    assert [s["service_code"] for s in services] == ["pothole"]
    assert services[0]["service_name"] == "Report a pothole"
    assert str(services[0]["metadata"]).lower() == "true"

    definition = library.get_service_definition("pothole")
    assert definition["service_code"] == "pothole"
    attributes = (
        definition["attributes"]
        if output_format == "json"
        else _as_list(definition["attributes"]["attribute"])
    )
    size = next(a for a in attributes if a["code"] == "size")
    assert size["datatype"] == "singlevaluelist"
    values = size["values"] if output_format == "json" else _as_list(size["values"]["value"])
    assert [v["key"] for v in values] == ["Small", "Large"]

    listed = _as_list(library.get_service_requests(service_code="pothole", status="closed"))
    assert [r["service_request_id"] for r in listed] == [reference]
    assert listed[0]["status"] == "closed"
    assert listed[0]["status_notes"] == "Fixed"
    assert listed[0]["address"] == "Outside the post office, High Street"
    assert float(listed[0]["lat"]) == pytest.approx(51.501009)
    # Public fields only: description and media_url are there but empty; no email at all.
    assert listed[0]["description"] is None and listed[0]["media_url"] is None
    assert "email" not in listed[0]

    by_id = _as_list(library.get_service_requests(service_request_id=reference))
    assert [r["service_request_id"] for r in by_id] == [reference]

    one = library.get_service_request(reference)
    assert one["service_request_id"] == reference
    assert one["service_code"] == "pothole"
    assert one["agency_responsible"] == "Highways"

    with pytest.raises(requests.HTTPError) as refused:
        library.get_service_request("NOPE-2026-000001")
    assert refused.value.response.status_code == 404
