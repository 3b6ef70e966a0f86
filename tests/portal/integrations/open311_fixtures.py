"""Fixtures and builders for the Open311 server's tests (prefix ``o311_``), imported by the
test modules that use them (not a conftest: other helpers' fixtures live beside them)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from forms_engine.models import ServiceForm
from portal.cases.models import Team
from portal.integrations.constants import ApiScope
from tests.forms_engine.factories import form_build, question, step, when
from tests.portal.integrations.factories import api_client_with_key

POTHOLE_EMAIL = "reporter@example.org"


def o311_pothole_form(**fields: Any) -> ServiceForm:
    """'Report a pothole': every question type an app may answer, no fee, no sign-in needed,
    listed as an Open311 service (``open311_listed``)."""
    fields.setdefault("sign_in", "none")
    fields.setdefault("open311_listed", True)
    fields.setdefault("reference_prefix", "POT")
    fields.setdefault("team", Team.objects.get_or_create(name="Highways")[0])
    fields.setdefault("sla_working_days", 10)
    return form_build(
        slug=fields.pop("slug", "pothole"),
        title=fields.pop("title", "Report a pothole"),
        steps=[
            step("Where is it?", question("location", "where", "Where is the pothole?")),
            step(
                "About the pothole",
                question("radios", "size", "How big is it?", choices=["Small", "Large"]),
                question(
                    "checkboxes",
                    "hazards",
                    "Is it near any of these?",
                    required=False,
                    choices=["A school", "A bend"],
                ),
                question(
                    "number", "depth_cm", "How deep is it?", required=False, min_value="1", max_value="100"
                ),
                question("long_text", "details", "Describe the problem"),
            ),
            step(
                "Lorry damage",
                question("text", "lorry_reg", "Registration of the lorry that caused it", required=False),
                condition=when("size", "Large"),
            ),
            step("When", question("date", "seen_on", "When did you see it?", when="past", required=False)),
            step("Photo", question("file", "photo", "Photo of the pothole", required=False)),
            step(
                "Your details",
                question("text", "full_name", "Full name", prefill="full_name", required=False),
                question("phone", "phone", "Phone number", required=False),
                question("email", "email", "Email address", required=False),
                question("address", "home_address", "Your home address", required=False),
                question("declaration", "confirm", "Declaration"),
            ),
        ],
        **fields,
    )


def o311_post_data(**overrides: Any) -> dict[str, Any]:
    """A POST a FixMyStreet-like app sends for the pothole form (form-encoded)."""
    data: dict[str, Any] = {
        "service_code": "pothole",
        "lat": "51.501009",
        "long": "-0.141588",
        "address_string": "Outside the post office, High Street",
        "description": "A deep pothole in the cycle lane",
        "email": POTHOLE_EMAIL,
        "first_name": "Pat",
        "last_name": "Reporter",
        "phone": "07700 900982",
        "media_url": "https://fixmystreet.example/photo/1.jpeg",
        "attribute[size]": "Small",
        "attribute[hazards][]": ["A school", "A bend"],
        "attribute[depth_cm]": "12",
        "attribute[seen_on]": (date.today() - timedelta(days=1)).isoformat(),
        "attribute[home_address-line_1]": "1 Private Road",
        "attribute[home_address-town]": "Anytown",
        "attribute[home_address-postcode]": "SW1A 1AA",
        "attribute[confirm]": "true",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


@pytest.fixture
def o311_form(db) -> ServiceForm:
    return o311_pothole_form()


@pytest.fixture
def o311_client(db):
    """(the API client "FixMyStreet", its key), allowed to file reports."""
    return api_client_with_key("FixMyStreet", [ApiScope.OPEN311_REPORT])
