"""The OpenAPI document against the code: every path and method it lists is called and each JSON
answer checked against the schema it documents; every Open311 address is documented, and every
documented path is a real address."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from django.urls import URLPattern, resolve
from django.utils import timezone

from portal.integrations.constants import ApiScope, DeliveryStatus, DestinationKind
from portal.integrations.models import Delivery, Destination
from portal.integrations.open311 import urls as open311_urls
from portal.integrations.openapi import openapi_document
from tests.portal.integrations import open311_fixtures
from tests.portal.integrations.factories import api_client_with_key
from tests.portal.integrations.open311_fixtures import o311_post_data

pytestmark = pytest.mark.django_db

# The shared fixtures (open311_fixtures), made visible to this module's tests.
o311_form = open311_fixtures.o311_form
o311_client = open311_fixtures.o311_client

# JSON Schema, the little of it the document uses: $ref, type (one or a list), enum,
# properties, required, items and additionalProperties (jsonschema is not a dependency).
_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def schema_problems(value: Any, schema: dict, document: dict, where: str = "$") -> list[str]:
    if "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return schema_problems(value, target, document, where)
    problems: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]

        def fits(kind: str) -> bool:
            if kind == "integer":
                return isinstance(value, int) and not isinstance(value, bool)
            if kind == "number":
                return isinstance(value, int | float) and not isinstance(value, bool)
            return isinstance(value, _TYPES[kind])

        if not any(fits(kind) for kind in kinds):
            return [f"{where}: {value!r} is not of type {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: {name} is missing")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                problems += schema_problems(item, properties[name], document, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                problems.append(f"{where}: {name} is not documented")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += schema_problems(item, schema["items"], document, f"{where}[{index}]")
    return problems


def test_schema_check_finds_problems():
    document = openapi_document()
    assert schema_problems([{"code": 400}], {"$ref": "#/components/schemas/Open311Errors"}, document) == [
        "$[0]: description is missing"
    ]
    assert schema_problems(
        {"status": "pending"}, document["components"]["schemas"]["ServiceRequest"], document
    )


# Routes and the document


def _documented(pattern: URLPattern) -> str:
    route = str(pattern.pattern)
    route = route.replace("<o311fmt:fmt>", "{format}")
    route = route.replace("<str:code>", "{service_code}").replace("<str:request_id>", "{service_request_id}")
    return f"/open311/v2/{route}"


def test_every_open311_address_is_documented():
    paths = openapi_document()["paths"]
    routes = [p for p in open311_urls.urlpatterns if isinstance(p, URLPattern) and p.name != "not_found"]
    assert len(routes) == 7
    for pattern in routes:
        assert _documented(pattern) in paths, pattern.pattern


def test_every_documented_path_is_a_real_address():
    samples = {
        "format": "json",
        "service_code": "x",
        "service_request_id": "X-1",
        "reference": "X-1",
        "remote_id": "r",
    }
    for path in openapi_document()["paths"]:
        concrete = re.sub(r"\{(\w+)\}", lambda m: samples[m.group(1)], path)
        match = resolve(concrete)
        assert match.url_name != "not_found", path


def test_served_at_both_addresses(client):
    first = client.get("/open311/v2/openapi.json")
    second = client.get("/api/back-office/v1/openapi.json")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == json.loads(json.dumps(openapi_document()))
    assert first.json()["openapi"] == "3.1.0"


# Calling every operation


@pytest.fixture
def o311_world(client, o311_form, o311_client):
    """A filed report, delivered to a back office whose status client has a key."""
    _api_client, key = o311_client
    status_client, status_key = api_client_with_key("Confirm", [ApiScope.CASE_UPDATES])
    destination = Destination.objects.create(
        form=o311_form,
        name="Confirm",
        kind=DestinationKind.WEBHOOK,
        url="http://127.0.0.1:9/hook",
        status_client=status_client,
    )
    response = client.post("/open311/v2/requests.json", {**o311_post_data(), "api_key": key})
    assert response.status_code == 200, response.content
    reference = response.json()[0]["service_request_id"]
    from forms_engine.models import Submission

    submission = Submission.objects.get(case__reference=reference)
    delivery, _ = Delivery.objects.get_or_create(
        destination=destination, submission=submission, defaults={"case": submission.case}
    )
    # Delivered: the status API answers only for cases that reached the client's back office.
    Delivery.objects.filter(pk=delivery.pk).update(
        remote_id="REMOTE-1",
        case=submission.case,
        status=DeliveryStatus.DELIVERED,
        delivered_at=timezone.now(),
    )
    return {
        "key": key,
        "status_key": status_key,
        "values": {
            "service_code": "pothole",
            "service_request_id": reference,
            "reference": reference,
            "remote_id": "REMOTE-1",
        },
    }


def _operations(prefix: str):
    document = openapi_document()
    for path, item in document["paths"].items():
        if path.startswith(prefix):
            for method, operation in item.items():
                yield path, method, operation


def _call(client, world: dict, path: str, method: str, fmt: str, n: int):
    url = re.sub(r"\{(\w+)\}", lambda m: fmt if m.group(1) == "format" else world["values"][m.group(1)], path)
    if path.startswith("/api/back-office/"):
        auth = {"HTTP_AUTHORIZATION": f"Bearer {world['status_key']}"}
        if method == "post":
            body = {"update_id": f"u-{n}", "public_message": f"Update {n}"}
            return client.post(url, json.dumps(body), content_type="application/json", **auth)
        return client.get(url, **auth)
    if method == "post":
        return client.post(url, {**o311_post_data(), "api_key": world["key"]})
    return client.get(url)


def _check(document: dict, operation: dict, response, path: str) -> None:
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, (
        f"{path}: {response.status_code} is not documented: {response.content[:300]}"
    )
    content_type = response["Content-Type"].split(";")[0]
    assert content_type in documented["content"], f"{path}: {content_type} is not documented"
    if content_type == "application/json":
        schema = documented["content"][content_type]["schema"]
        problems = schema_problems(json.loads(response.content), schema, document)
        assert not problems, f"{path}: {problems}"
    else:
        ET.fromstring(response.content)


def test_every_open311_operation_answers_as_documented(client, o311_world):
    document = openapi_document()
    n = 0
    for path, method, operation in _operations("/open311/"):
        formats = ["json", "xml"] if "{format}" in path else ["json"]
        for fmt in formats:
            n += 1
            response = _call(client, o311_world, path, method, fmt, n)
            assert response.status_code == 200, f"{method} {path} ({fmt}): {response.content[:300]}"
            _check(document, operation, response, path)


def test_open311_errors_answer_as_documented(client, o311_world):
    document = openapi_document()
    paths = document["paths"]
    for path, method, url, data, status in (
        ("/open311/v2/services/{service_code}.{format}", "get", "/open311/v2/services/nope.json", None, 404),
        ("/open311/v2/requests.{format}", "get", "/open311/v2/requests.json?status=pending", None, 400),
        (
            "/open311/v2/requests/{service_request_id}.{format}",
            "get",
            "/open311/v2/requests/NOPE-1.json",
            None,
            404,
        ),
        (
            "/open311/v2/servicerequestupdates.{format}",
            "get",
            "/open311/v2/servicerequestupdates.json?end_date=x",
            None,
            400,
        ),
        (
            "/open311/v2/requests.{format}",
            "post",
            "/open311/v2/requests.json",
            {"service_code": "pothole"},
            403,
        ),
        (
            "/open311/v2/requests.{format}",
            "post",
            "/open311/v2/requests.json",
            {"service_code": "pothole", "api_key": o311_world["key"]},
            400,
        ),
    ):
        response = client.post(url, data) if method == "post" else client.get(url)
        assert response.status_code == status, (url, response.content)
        _check(document, paths[path][method], response, path)


def test_every_status_api_operation_answers_as_documented(client, o311_world):
    document = openapi_document()
    for n, (path, method, operation) in enumerate(_operations("/api/back-office/"), 1):
        response = _call(client, o311_world, path, method, "json", n)
        assert response.status_code == 200, f"{method} {path}: {response.content[:300]}"
        _check(document, operation, response, path)
    # And its refusals.
    response = client.get(
        "/api/back-office/v1/cases/NOPE-1", HTTP_AUTHORIZATION=f"Bearer {o311_world['status_key']}"
    )
    _check(document, document["paths"]["/api/back-office/v1/cases/{reference}"]["get"], response, "404")
    assert response.status_code == 404
    response = client.get(f"/api/back-office/v1/cases/{o311_world['values']['reference']}")
    assert response.status_code == 401
    _check(document, document["paths"]["/api/back-office/v1/cases/{reference}"]["get"], response, "401")


def test_open311_refusals_of_method_and_rate_answer_as_documented(client, o311_world, settings):
    document = openapi_document()
    operation = document["paths"]["/open311/v2/requests.{format}"]["get"]
    response = client.put("/open311/v2/requests.json")
    assert response.status_code == 405
    _check(document, operation, response, "405")
    settings.OPEN311_PUBLIC_RATE_PER_MINUTE = 0
    response = client.get("/open311/v2/requests.json")
    assert response.status_code == 429
    _check(document, operation, response, "429")
