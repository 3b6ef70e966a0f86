"""The Open311 GeoReport v2 server, through the Django test client on a real database: every
address in JSON and XML, errors in the spec's format, filing a report through the forms
engine, keys and their audit, and no personal data in public reads."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest

from django.test import override_settings
from django.utils import timezone

from forms_engine.constants import SubmissionChannel
from forms_engine.demo import FORMS as DEMO_FORMS
from forms_engine.models import Submission
from portal.cases.constants import Actor, CaseStatus, EventType
from portal.cases.models import Case
from portal.cases.services import case_transition
from portal.integrations.constants import ApiScope
from portal.integrations.models import ApiKeyUse
from portal.integrations.services.api_keys import api_client_revoke
from portal.interactions.constants import Channel, InteractionType
from portal.interactions.models import Interaction
from portal.notifications.models import Notification
from tests.forms_engine.factories import form_build, question, step
from tests.portal.integrations import open311_fixtures
from tests.portal.integrations.factories import api_client_with_key
from tests.portal.integrations.open311_fixtures import POTHOLE_EMAIL, o311_post_data

pytestmark = pytest.mark.django_db

# The shared fixtures (open311_fixtures), made visible to this module's tests.
o311_form = open311_fixtures.o311_form
o311_client = open311_fixtures.o311_client
BASE = "/open311/v2"


def _post(client, key: str | None, fmt: str = "json", **overrides):
    data = o311_post_data(**overrides)
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", data)


def _xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    return ET.fromstring(response.content)


def _errors(response) -> list[str]:
    body = response.json()
    assert isinstance(body, list) and all(set(e) == {"code", "description"} for e in body), body
    assert all(e["code"] == response.status_code for e in body)
    return [e["description"] for e in body]


# Discovery and services


def test_discovery_json_and_xml(client, o311_form):
    body = client.get(f"{BASE}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = _xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_lists_only_forms_an_app_can_file(client, o311_form):
    steps = o311_form.steps.raw_data
    form_build(slug="paid", steps=steps, fee_type="fixed", fee_amount_pence=500, open311_listed=True)
    form_build(slug="signed-in", steps=steps, sign_in="required", open311_listed=True)
    form_build(slug="no-case", steps=steps, creates_case=False, open311_listed=True)
    form_build(slug="unpublished", steps=steps, publish=False, open311_listed=True)
    # Everything an app needs, but the editor has not opted it in: not a service.
    form_build(slug="not-opted-in", steps=steps, sign_in="none")
    archived = form_build(slug="archived", steps=steps, open311_listed=True)
    archived.archived = True
    archived.save()

    services = client.get(f"{BASE}/services.json").json()
    assert [s["service_code"] for s in services] == ["pothole"]
    assert services[0] == {
        "service_code": "pothole",
        "service_name": "Report a pothole",
        "description": "Report a pothole",
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": "",
    }
    root = _xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == ["pothole"]
    assert root.find("service/metadata").text == "true"
    assert client.get(f"{BASE}/services/not-opted-in.json").status_code == 404
    response = _post(
        client, api_client_with_key("App", [ApiScope.OPEN311_REPORT])[1], service_code="not-opted-in"
    )
    assert response.status_code == 404


def test_the_demo_lists_its_street_reports_only():
    listed = {spec["fields"]["slug"] for spec in DEMO_FORMS if spec["fields"].get("open311_listed")}
    assert listed == {"report-a-pothole", "report-fly-tipping", "report-a-street-light-fault"}


def test_service_definition_maps_questions(client, o311_form):
    body = client.get(f"{BASE}/services/pothole.json").json()
    assert body["service_code"] == "pothole"
    attributes = {a["code"]: a for a in body["attributes"]}
    # Standard fields are not attributes: location, description, email, name, phone, photo.
    assert not {"where", "details", "email", "full_name", "phone", "photo"} & set(attributes)
    assert attributes["size"]["datatype"] == "singlevaluelist"
    assert attributes["size"]["required"] is True
    assert attributes["size"]["values"] == [
        {"key": "Small", "name": "Small"},
        {"key": "Large", "name": "Large"},
    ]
    assert attributes["size"]["description"] == "How big is it?"
    assert attributes["hazards"]["datatype"] == "multivaluelist"
    assert attributes["hazards"]["required"] is False
    assert attributes["depth_cm"]["datatype"] == "number"
    assert "at least 1" in attributes["depth_cm"]["datatype_description"]
    assert attributes["seen_on"]["datatype"] == "datetime"
    assert attributes["lorry_reg"]["required"] is False  # only asked when the pothole is large
    assert "Large" in attributes["lorry_reg"]["datatype_description"]
    assert attributes["confirm"]["values"] == [
        {"key": "true", "name": "The information I have given is correct"}
    ]
    assert {"home_address-line_1", "home_address-town", "home_address-postcode"} <= set(attributes)
    assert [a["order"] for a in body["attributes"]] == list(range(1, len(body["attributes"]) + 1))
    assert all(a["variable"] is True for a in body["attributes"])

    root = _xml(client.get(f"{BASE}/services/pothole.xml"))
    assert root.tag == "service_definition"
    size = next(a for a in root.findall("attributes/attribute") if a.findtext("code") == "size")
    assert size.findtext("datatype") == "singlevaluelist"
    assert size.findtext("required") == "true"
    assert [v.findtext("key") for v in size.findall("values/value")] == ["Small", "Large"]


def test_unknown_service_is_404_in_the_spec_format(client, o311_form):
    response = client.get(f"{BASE}/services/nope.json")
    assert response.status_code == 404
    assert "nope" in _errors(response)[0]
    response = client.get(f"{BASE}/services/nope.xml")
    assert response.status_code == 404
    root = _xml(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert "nope" in root.findtext("error/description")
    assert client.get(f"{BASE}/nothing-here.xml").status_code == 404


@override_settings(OPEN311_JURISDICTION="anytown.gov.uk")
def test_jurisdiction_checked_when_set(client, o311_form):
    assert client.get(f"{BASE}/services.json?jurisdiction_id=anytown.gov.uk").status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    response = client.get(f"{BASE}/services.json?jurisdiction_id=elsewhere")
    assert response.status_code == 404
    assert "jurisdiction_id" in _errors(response)[0]


# Filing a report


def test_post_creates_a_case_through_the_forms_engine(client, o311_form, o311_client):
    api_client, key = o311_client
    response = _post(client, key)
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body) == 1 and set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    assert body[0]["account_id"] is None
    assert "5 working days" in body[0]["service_notice"]
    case = Case.objects.get(reference=body[0]["service_request_id"])
    assert case.reference.startswith("POT-")
    assert case.channel == Channel.API
    assert case.team.name == "Highways"
    assert case.contact_email == POTHOLE_EMAIL
    assert case.contact_name == "Pat Reporter"

    submission = Submission.objects.get(case=case)
    assert submission.channel == SubmissionChannel.API
    answers = submission.answers
    assert answers["where"] == {
        "description": "Outside the post office, High Street",
        "latitude": "51.501009",
        "longitude": "-0.141588",
    }
    assert answers["details"] == "A deep pothole in the cycle lane"
    assert answers["photo"] == {"media_url": "https://fixmystreet.example/photo/1.jpeg"}
    assert answers["hazards"] == ["A school", "A bend"]
    assert answers["depth_cm"] == "12"
    assert answers["phone"] == "07700900982"
    assert answers["email"] == POTHOLE_EMAIL
    assert answers["confirm"] is True
    assert answers["home_address"]["postcode"] == "SW1A 1AA"
    assert "_contact_email" not in answers  # the form's own email question had it

    submit = Interaction.objects.get(type=InteractionType.FORM_SUBMIT, case_reference=case.reference)
    assert submit.channel == Channel.API
    assert submit.extras["client"] == "FixMyStreet"
    assert Interaction.objects.filter(type=InteractionType.TRANSACTION, channel=Channel.API).exists()
    # The resident gets the usual confirmation, with the reference.
    confirmation = Notification.objects.get(case=case)
    assert confirmation.to == POTHOLE_EMAIL
    assert case.reference in confirmation.body_text
    # Audited.
    use = ApiKeyUse.objects.get(client=api_client)
    assert (use.method, use.path, use.status_code) == ("POST", "/open311/v2/requests.json", 200)


def test_post_xml_answer_and_location_by_position_only(client, o311_form, o311_client):
    _client, key = o311_client
    response = _post(client, key, fmt="xml", address_string=None)
    assert response.status_code == 200, response.content
    root = _xml(response)
    assert root.tag == "service_requests"
    reference = root.findtext("request/service_request_id")
    assert root.find("request/account_id") is not None
    submission = Submission.objects.get(case__reference=reference)
    assert submission.answers["where"]["description"] == "Map position 51.501009, -0.141588"


def test_post_without_an_email_question_uses_email_as_the_contact(client, o311_client):
    form_build(
        slug="graffiti",
        sign_in="none",
        open311_listed=True,
        steps=[step("Where", question("location", "where", "Where is it?"))],
    )
    _client, key = o311_client
    response = client.post(
        f"{BASE}/requests.json",
        {"api_key": key, "service_code": "graffiti", "address_string": "Bus stop", "email": "a@example.org"},
    )
    assert response.status_code == 200, response.content
    submission = Submission.objects.get(case__reference=response.json()[0]["service_request_id"])
    assert submission.contact_email == "a@example.org"
    response = client.post(
        f"{BASE}/requests.json", {"api_key": key, "service_code": "graffiti", "address_string": "Bus stop"}
    )
    assert response.status_code == 400
    assert _errors(response) == ["email: Enter the email address"]


def test_post_refused_as_the_web_would_refuse_it(client, o311_form, o311_client):
    _client, key = o311_client
    response = _post(
        client,
        key,
        **{
            "attribute[size]": "Enormous",
            "attribute[hazards][]": ["A school", "A river"],
            "attribute[depth_cm]": "500",
            "attribute[seen_on]": "yesterday",
            "attribute[home_address-postcode]": "NOT A POSTCODE",
            "attribute[confirm]": None,
            "email": "not-an-email",
            "media_url": "ftp://example.org/x",
            "lat": "91",
            "description": None,
        },
    )
    assert response.status_code == 400
    errors = _errors(response)
    by_parameter = dict(e.split(": ", 1) for e in errors)
    assert by_parameter["attribute[size]"] == "Select one of the options"
    assert by_parameter["attribute[hazards]"] == "Select from the options given"
    assert by_parameter["attribute[depth_cm]"].endswith("must be 100 or less")
    assert "YYYY-MM-DD" in by_parameter["attribute[seen_on]"]
    assert "postcode" in by_parameter["attribute[home_address-postcode]"].lower()
    assert by_parameter["attribute[confirm]"] == "Tick the box to confirm the declaration"
    assert by_parameter["email"].startswith("Enter an email address in the correct format")
    assert "link" in by_parameter["media_url"]
    assert "latitude" in by_parameter["lat"]
    assert by_parameter["description"] == "Describe the problem"
    assert len(errors) == len(by_parameter)  # one error per question
    assert not Case.objects.exists() and not Submission.objects.exists()


def test_post_missing_location_and_unknown_service(client, o311_form, o311_client):
    _client, key = o311_client
    response = _post(client, key, lat=None, long=None, address_string=None)
    assert response.status_code == 400
    assert _errors(response) == [
        "address_string: Describe where it is, for example the street and the nearest house number"
    ]
    response = _post(client, key, service_code="nope")
    assert response.status_code == 404
    response = _post(client, key, service_code=None)
    assert response.status_code == 400
    assert _errors(response)[0].startswith("service_code:")


def test_post_conditional_attribute_only_when_shown(client, o311_form, o311_client):
    _client, key = o311_client
    response = _post(client, key, **{"attribute[size]": "Large", "attribute[lorry_reg]": "AB12 CDE"})
    assert response.status_code == 200
    submission = Submission.objects.get()
    assert submission.answers["lorry_reg"] == "AB12 CDE"
    _post(client, key, **{"attribute[lorry_reg]": "AB12 CDE"})  # small: the question is not asked
    assert "lorry_reg" not in Submission.objects.latest("pk").answers


def test_keys_refused_and_audited(client, o311_form, o311_client):
    api_client, key = o311_client
    response = _post(client, None)
    assert response.status_code == 403
    assert _errors(response) == ["An API key is required"]
    assert _post(client, "cpk_wrong_key").status_code == 403
    reader, reader_key = api_client_with_key("Status only", [ApiScope.CASE_UPDATES])
    response = _post(client, reader_key)
    assert response.status_code == 403
    assert "not allowed" in _errors(response)[0]
    api_client_revoke(client=api_client, by=None)
    response = _post(client, key, fmt="xml")
    assert response.status_code == 403
    assert _xml(response).findtext("error/description") == "The API key has been revoked"
    assert not Case.objects.exists()
    uses = list(ApiKeyUse.objects.order_by("at", "pk").values_list("client__name", "status_code"))
    # The call with no key is not an API use; the unknown key is audited without a client.
    assert uses == [(None, 403), ("Status only", 403), ("FixMyStreet", 403)]


def test_rate_limited_key_gets_429(client, o311_form):
    _api_client, key = api_client_with_key("Busy app", [ApiScope.OPEN311_REPORT], rate_limit_per_minute=1)
    assert _post(client, key).status_code == 200
    response = _post(client, key)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert _errors(response) == ["Too many requests with this API key"]
    assert Case.objects.count() == 1
    assert list(ApiKeyUse.objects.order_by("at", "pk").values_list("status_code", flat=True)) == [200, 429]


@override_settings(OPEN311_PUBLIC_RATE_PER_MINUTE=2)
def test_public_reads_rate_limited(client, o311_form):
    assert client.get(f"{BASE}/services.json").status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 429
    assert response["Retry-After"]
    assert not ApiKeyUse.objects.exists()


# Reading requests


def _web_report(o311_form, **answers):
    """A resident's own report of the pothole on the web (through the forms engine)."""
    from tests.portal.integrations.factories import submission_make

    base = {
        "where": {"description": "By the school gates", "latitude": "51.5", "longitude": "-0.1"},
        "size": "Small",
        "details": "My neighbour Jane Smith tripped here",
        "full_name": "Webby Resident",
        "phone": "07700900111",
        "email": "web.resident@example.org",
        "home_address": {"line_1": "9 Secret Lane", "line_2": "", "town": "Anytown", "postcode": "SW1A 2AA"},
        "confirm": True,
    }
    return submission_make(o311_form, {**base, **answers})


def test_requests_are_public_and_show_no_personal_data(client, o311_form, o311_client):
    _client, key = o311_client
    filed = _post(client, key).json()[0]["service_request_id"]
    web = _web_report(o311_form).case
    other_form = form_build(slug="council-tax", sign_in="required", steps=o311_form.steps.raw_data)
    hidden = _web_report(other_form).case  # not an Open311 service: never shown

    response = client.get(f"{BASE}/requests.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert [r["service_request_id"] for r in body] == [web.reference, filed]
    assert hidden.reference not in response.content.decode()
    first = body[0]
    assert set(first) == {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "lat",
        "long",
        "media_url",
    }
    assert (first["description"], first["media_url"]) == (None, None)
    assert first["status"] == "open"
    assert first["address"] == "By the school gates"
    assert (first["lat"], first["long"]) == (51.5, -0.1)
    assert first["agency_responsible"] == "Highways"
    assert first["expected_datetime"] is not None
    text = response.content.decode() + client.get(f"{BASE}/requests.xml").content.decode()
    for personal in (
        "Webby",
        "web.resident",
        "07700900111",
        "Secret Lane",
        "SW1A 2AA",
        "Jane Smith",
        "Pat",
        "Reporter",
        POTHOLE_EMAIL,
        "07700900982",
        "1 Private Road",
        "cycle lane",
        "fixmystreet.example",
    ):
        assert personal not in text, personal

    root = _xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [web.reference, filed]
    assert root.find("request/status_notes").text is None


def test_requests_filters_and_errors(client, o311_form):
    first = _web_report(o311_form).case
    second = _web_report(o311_form).case
    case_transition(case=second, to=CaseStatus.RESOLVED, actor_role=Actor.STAFF, message="Filled in today")

    def ids(query: str) -> list[str]:
        response = client.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert ids("status=closed") == [second.reference]
    assert ids("status=open") == [first.reference]
    assert ids("status=open,closed") == [second.reference, first.reference]
    assert ids(f"service_request_id={first.reference},{second.reference},NOPE-1") == [
        second.reference,
        first.reference,
    ]
    assert ids("service_code=pothole") == [second.reference, first.reference]
    old = (timezone.now() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    older = (timezone.now() - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"start_date={older}&end_date={old}") == []
    assert ids(f"start_date={old}") == [second.reference, first.reference]

    notes = client.get(f"{BASE}/requests/{second.reference}.json").json()[0]
    # Reported on the web: the officer's message to the resident is not published.
    assert (notes["status"], notes["status_notes"]) == ("closed", None)

    for query, parameter, status in (
        ("status=pending", "status", 400),
        ("service_code=nope", "service_code", 400),
        ("start_date=last+tuesday", "start_date", 400),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "end_date", 400),
        ("start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "end_date", 400),
    ):
        response = client.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == status, query
        assert _errors(response)[0].startswith(f"{parameter}:"), query
        assert client.get(f"{BASE}/requests.xml?{query}").status_code == status


def test_single_request_json_xml_and_404(client, o311_form):
    case = _web_report(o311_form).case
    body = client.get(f"{BASE}/requests/{case.reference}.json").json()
    assert len(body) == 1 and body[0]["service_request_id"] == case.reference
    root = _xml(client.get(f"{BASE}/requests/{case.reference}.xml"))
    assert root.findtext("request/service_request_id") == case.reference
    assert root.findtext("request/service_code") == "pothole"
    assert client.get(f"{BASE}/requests/NOPE-2026-000001.json").status_code == 404
    assert _xml(client.get(f"{BASE}/requests/NOPE-2026-000001.xml")).findtext("error/code") == "404"


def test_service_request_updates(client, o311_form, o311_client):
    from portal.cases.services import case_event_add

    _client, key = o311_client
    reference = _post(client, key).json()[0]["service_request_id"]
    filed = Case.objects.get(reference=reference)
    web = _web_report(o311_form).case
    case_transition(case=filed, to=CaseStatus.IN_PROGRESS, actor_role=Actor.STAFF, message="Crew booked")
    case_event_add(case=filed, type=EventType.OFFICER_MESSAGE, actor_role=Actor.STAFF, message="Thanks")
    case_event_add(case=web, type=EventType.OFFICER_MESSAGE, actor_role=Actor.STAFF, message="Dear Webby")
    case_event_add(
        case=filed, type=EventType.INTERNAL_NOTE, actor_role=Actor.STAFF, message="Staff only", public=False
    )
    case_transition(case=web, to=CaseStatus.REJECTED, actor_role=Actor.STAFF, message="Not ours")

    response = client.get(f"{BASE}/servicerequestupdates.json")
    assert response.status_code == 200
    updates = response.json()["service_request_updates"]
    assert [(u["service_request_id"], u["status"], u["description"]) for u in updates] == [
        (reference, "in_progress", "Crew booked"),
        (reference, "in_progress", "Thanks"),
        (web.reference, "no_further_action", ""),  # to a web resident: not published
    ]
    assert set(updates[0]) == {
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
        "media_url",
    }
    assert "Dear Webby" not in response.content.decode()
    assert "Not ours" not in response.content.decode()
    assert "Staff only" not in response.content.decode()
    later = (timezone.now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get(f"{BASE}/servicerequestupdates.json?start_date={later}").json() == {
        "service_request_updates": []
    }
    root = _xml(client.get(f"{BASE}/servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    assert [u.findtext("status") for u in root.findall("request_update")] == [
        "in_progress",
        "in_progress",
        "no_further_action",
    ]
    assert client.get(f"{BASE}/servicerequestupdates.json?start_date=nonsense").status_code == 400


def test_keyed_reads_are_audited(client, o311_form, o311_client):
    api_client, key = o311_client
    response = client.get(f"{BASE}/services.json", HTTP_X_API_KEY=key)
    assert response.status_code == 200
    assert ApiKeyUse.objects.get(client=api_client).status_code == 200
    # A key that will not do on a read that needs none: read as public, and audited as such.
    assert client.get(f"{BASE}/services.json?api_key=cpk_wrong").status_code == 200
    unknown = ApiKeyUse.objects.get(client=None)
    assert (unknown.status_code, unknown.detail) == (200, "Read as public: The API key is not valid")


# Review fixes: what is published, duplicates, dates, XML, keys and methods


def test_messages_published_only_from_staff_on_reports_filed_by_an_app(client, o311_form, o311_client):
    _client, key = o311_client
    withdrawn = Case.objects.get(reference=_post(client, key).json()[0]["service_request_id"])
    fixed = Case.objects.get(
        reference=_post(client, key, description="Another pothole").json()[0]["service_request_id"]
    )
    web = _web_report(o311_form).case
    case_transition(
        case=withdrawn, to=CaseStatus.WITHDRAWN, actor_role=Actor.RESIDENT, message="Pat fixed it, I moved"
    )
    case_transition(case=fixed, to=CaseStatus.RESOLVED, actor_role=Actor.STAFF, message="Filled in")
    case_transition(case=web, to=CaseStatus.RESOLVED, actor_role=Actor.STAFF, message="Dear Webby, done")

    notes = {r["service_request_id"]: r["status_notes"] for r in client.get(f"{BASE}/requests.json").json()}
    assert notes == {withdrawn.reference: None, fixed.reference: "Filled in", web.reference: None}
    updates = client.get(f"{BASE}/servicerequestupdates.json").json()["service_request_updates"]
    assert {(u["service_request_id"], u["description"]) for u in updates} == {
        (withdrawn.reference, ""),
        (fixed.reference, "Filled in"),
        (web.reference, ""),
    }
    text = client.get(f"{BASE}/requests.xml").content.decode()
    text += client.get(f"{BASE}/servicerequestupdates.xml").content.decode()
    assert "moved" not in text and "Webby" not in text


def test_the_latest_message_is_not_replaced_by_an_older_one(client, o311_form, o311_client):
    _client, key = o311_client
    case = Case.objects.get(reference=_post(client, key).json()[0]["service_request_id"])
    case_transition(case=case, to=CaseStatus.RESOLVED, actor_role=Actor.STAFF, message="Filled in")
    case_transition(case=case, to=CaseStatus.IN_PROGRESS, actor_role=Actor.RESIDENT, message="Still a hole")
    assert client.get(f"{BASE}/requests/{case.reference}.json").json()[0]["status_notes"] is None


def test_the_same_post_twice_files_one_case(client, o311_form, o311_client):
    api_client, key = o311_client
    first = _post(client, key)
    # The same parameters in another order, by a key in the header this time.
    data = dict(reversed(list(o311_post_data().items())))
    again = client.post(f"{BASE}/requests.json", data, HTTP_X_API_KEY=key)
    assert first.status_code == again.status_code == 200, again.content
    assert again.json() == first.json()
    assert Case.objects.count() == Submission.objects.count() == 1
    assert Notification.objects.count() == 1  # one confirmation
    # Another report (one parameter differs) is another case; another client's the same.
    assert _post(client, key, description="Two potholes").json() != first.json()
    other_key = api_client_with_key("Other app", [ApiScope.OPEN311_REPORT])[1]
    assert _post(client, other_key).json() != first.json()
    assert Case.objects.count() == 3
    assert api_client.submissions.count() == 2


def test_an_idempotency_key_names_the_report(client, o311_form, o311_client):
    _client, key = o311_client
    first = client.post(
        f"{BASE}/requests.json", {**o311_post_data(), "api_key": key}, HTTP_IDEMPOTENCY_KEY="fms-report-1"
    )
    # A retry that changed a parameter (FixMyStreet's own time stamp, say) is still the same report.
    again = client.post(
        f"{BASE}/requests.json",
        {**o311_post_data(description="Edited"), "api_key": key},
        HTTP_IDEMPOTENCY_KEY="fms-report-1",
    )
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    other = client.post(
        f"{BASE}/requests.json", {**o311_post_data(), "api_key": key}, HTTP_IDEMPOTENCY_KEY="fms-report-2"
    )
    assert other.json() != first.json()
    assert Case.objects.count() == 2


def test_a_date_alone_is_a_whole_day_and_dates_off_the_calendar_are_400(client, o311_form):
    case = _web_report(o311_form).case
    today = timezone.localdate().isoformat()
    found = client.get(f"{BASE}/requests.json?start_date={today}&end_date={today}")
    assert [r["service_request_id"] for r in found.json()] == [case.reference]
    for query in (
        "start_date=9999-12-31",
        "end_date=9999-12-31",
        "start_date=9999-12-31T23:59:59Z",
        "end_date=0001-01-01",
        "start_date=0001-01-01T00:00:00%2B05:00",
    ):
        for address in ("requests", "servicerequestupdates"):
            response = client.get(f"{BASE}/{address}.json?{query}")
            assert response.status_code == 400, (address, query, response.content)
            assert _errors(response)[0].split(":")[0] in ("start_date", "end_date")


def test_xml_leaves_out_characters_xml_cannot_carry(client, o311_form, o311_client):
    from portal.integrations.open311.render import xml_bytes

    root = ET.fromstring(
        xml_bytes("errors", [{"code": 400, "description": "a\x00b\x07c\x0bd\ufffe\ttab\ne"}])
    )
    assert root.findtext("error/description") == "abcd\ttab\ne"

    _client, key = o311_client
    reference = _post(client, key, address_string="Outside\x0b the shop\x1f").json()[0]["service_request_id"]
    root = _xml(client.get(f"{BASE}/requests/{reference}.xml"))
    assert root.findtext("request/address").startswith("Outside")
    assert "\x0b" not in root.findtext("request/address")


@override_settings(OPEN311_PUBLIC_RATE_PER_MINUTE=2)
def test_made_up_keys_meet_the_address_rate_and_are_audited_once_a_minute(client, o311_form):
    assert _post(client, "cpk_made_up_1").status_code == 403
    assert _post(client, "cpk_made_up_2").status_code == 403
    response = _post(client, "cpk_made_up_3")
    assert response.status_code == 429
    assert response["Retry-After"]
    assert client.get(f"{BASE}/services.json?api_key=cpk_made_up_4").status_code == 429
    assert ApiKeyUse.objects.filter(client=None).count() == 1


def test_reads_with_a_key_that_will_not_do_are_answered_as_public(client, o311_form, o311_client):
    api_client, key = o311_client
    case = _web_report(o311_form).case
    _status_client, status_key = api_client_with_key("Status only", [ApiScope.CASE_UPDATES])
    revoked, revoked_key = api_client_with_key("Old app", [ApiScope.OPEN311_REPORT])
    api_client_revoke(client=revoked, by=None)
    for sent in (key, status_key, revoked_key, "cpk_nobody"):
        response = client.get(f"{BASE}/requests/{case.reference}.json", HTTP_X_API_KEY=sent)
        assert response.status_code == 200, (sent, response.content)
        assert response.json()[0]["service_request_id"] == case.reference
    uses = ApiKeyUse.objects.order_by("at", "pk")
    assert [(u.client.name if u.client else None, u.status_code) for u in uses] == [
        ("FixMyStreet", 200),
        ("Status only", 200),
        ("Old app", 200),
        (None, 200),
    ]
    assert uses[2].detail == "Read as public: The API key has been revoked"
    # Filing a report still needs a key that will do.
    assert _post(client, status_key).status_code == 403


def test_wrong_methods_get_405_in_the_spec_format(client, o311_form):
    response = client.put(f"{BASE}/requests.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert _errors(response) == ["Method not allowed: use GET or POST"]
    response = client.post(f"{BASE}/services.xml")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert _xml(response).findtext("error/code") == "405"
    assert client.delete(f"{BASE}/servicerequestupdates.json").status_code == 405
    assert client.head(f"{BASE}/services.json").status_code == 200
