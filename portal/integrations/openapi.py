"""The OpenAPI 3.1 description of the portal's APIs for other systems: the Open311 GeoReport v2
server (/open311/v2/) and the back-office status API (/api/back-office/v1/).

Served at /open311/v2/openapi.json and /api/back-office/v1/openapi.json (the same document).
tests/portal/integrations/test_openapi.py calls every path and method it lists and checks
each JSON answer against the schema given here, and that every Open311 address is listed, so
the document cannot drift from the code.
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings

from portal.cases.constants import CaseStatus

from .services.open311_inbound import MAX_RESULTS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


STRING = {"type": "string"}
FORMAT = {
    "name": "format",
    "in": "path",
    "required": True,
    "description": "The answer's format",
    "schema": {"type": "string", "enum": ["json", "xml"]},
}
JURISDICTION = {
    "name": "jurisdiction_id",
    "in": "query",
    "required": False,
    "description": "Accepted and ignored (this server serves one jurisdiction), unless the council "
    "has set one: another is then a 404.",
    "schema": STRING,
}


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or STRING,
    }


def _o311(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An Open311 answer: JSON with ``schema``, or the same in the spec's XML."""
    return {
        "description": description,
        "content": {
            "application/json": {"schema": schema},
            "text/xml": {"schema": STRING},
        },
    }


def _o311_error(description: str) -> dict[str, Any]:
    return _o311(_ref("Open311Errors"), description)


def _status_error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("StatusErrors")}}}


O311_ERRORS = {
    "400": _o311_error("Bad input: one error per problem, naming the parameter"),
    "404": _o311_error("Unknown service, request, address or jurisdiction"),
    "405": _o311_error("A method the address does not take (the Allow header says which)"),
    "429": _o311_error(
        "Too many calls from this address, or with this key: wait for the seconds in Retry-After"
    ),
}
KEY_ERRORS = {
    "403": _o311_error("No API key, an unknown or revoked key, or one not allowed to file reports"),
}

SCHEMAS: dict[str, Any] = {
    "Open311Errors": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {"code": {"type": "integer"}, "description": STRING},
        },
    },
    "Discovery": {
        "type": "object",
        "required": ["changeset", "contact", "key_service", "endpoints"],
        "properties": {
            "changeset": {"type": "string", "format": "date-time"},
            "contact": STRING,
            "key_service": STRING,
            "endpoints": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["specification", "url", "changeset", "type", "formats"],
                    "properties": {
                        "specification": STRING,
                        "url": STRING,
                        "changeset": STRING,
                        "type": {"type": "string", "enum": ["production", "test"]},
                        "formats": {"type": "array", "items": STRING},
                    },
                },
            },
        },
    },
    "Service": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "properties": {
            "service_code": {"type": "string", "description": "The form's web address (slug)"},
            "service_name": STRING,
            "description": STRING,
            "metadata": {"type": "boolean", "description": "true when it has attributes (questions)"},
            "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
            "keywords": STRING,
            "group": STRING,
        },
    },
    "Attribute": {
        "type": "object",
        "required": [
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        ],
        "properties": {
            "variable": {"type": "boolean"},
            "code": {"type": "string", "description": "The question's name (or name-part for an address)"},
            "datatype": {
                "type": "string",
                "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"],
            },
            "required": {"type": "boolean"},
            "datatype_description": _nullable("string"),
            "order": {"type": "integer"},
            "description": STRING,
            "values": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "name"],
                    "properties": {"key": STRING, "name": STRING},
                },
            },
        },
    },
    "ServiceDefinition": {
        "type": "object",
        "required": ["service_code", "attributes"],
        "properties": {"service_code": STRING, "attributes": {"type": "array", "items": _ref("Attribute")}},
    },
    "ServiceRequest": {
        "type": "object",
        "description": "Public fields only: description and media_url are always null; no name, "
        "email, phone or home address. status_notes is a message staff or the back office "
        "wrote on a report filed through an app, else null.",
        "required": [
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
        ],
        "properties": {
            "service_request_id": {"type": "string", "description": "The case reference"},
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": _nullable("string"),
            "service_name": STRING,
            "service_code": STRING,
            "description": {"type": "null", "description": "Never shown: a resident's own words"},
            "agency_responsible": _nullable("string"),
            "service_notice": _nullable("string"),
            "requested_datetime": _nullable("string", format="date-time"),
            "updated_datetime": _nullable("string", format="date-time"),
            "expected_datetime": _nullable("string", format="date-time"),
            "address": _nullable("string", description="The location question's description"),
            "lat": _nullable("number"),
            "long": _nullable("number"),
            "media_url": {"type": "null", "description": "Never shown: a photo may show a person"},
        },
    },
    "ServiceRequestCreated": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["service_request_id", "service_notice", "account_id"],
            "properties": {
                "service_request_id": STRING,
                "service_notice": STRING,
                "account_id": {"type": "null"},
            },
        },
    },
    "ServiceRequestUpdates": {
        "type": "object",
        "required": ["service_request_updates"],
        "properties": {
            "service_request_updates": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "update_id",
                        "service_request_id",
                        "status",
                        "updated_datetime",
                        "description",
                        "media_url",
                    ],
                    "properties": {
                        "update_id": STRING,
                        "service_request_id": STRING,
                        "status": {
                            "type": "string",
                            "enum": ["open", "in_progress", "fixed", "no_further_action", "closed"],
                        },
                        "updated_datetime": {"type": "string", "format": "date-time"},
                        "description": {
                            "type": "string",
                            "description": "The message, where staff or the back office wrote it on "
                            "a report filed through an app; else empty",
                        },
                        "media_url": {"type": "string", "description": "Always empty"},
                    },
                },
            }
        },
    },
    "NewServiceRequest": {
        "type": "object",
        "required": ["service_code", "api_key"],
        "properties": {
            "api_key": STRING,
            "jurisdiction_id": STRING,
            "service_code": STRING,
            "lat": {"type": "number", "description": "The service's location question"},
            "long": {"type": "number"},
            "address_string": {"type": "string", "description": "The location question's description"},
            "email": {"type": "string", "description": "Needed: the reference is sent there"},
            "first_name": STRING,
            "last_name": STRING,
            "phone": STRING,
            "description": STRING,
            "media_url": {"type": "string", "description": "A link to a photo: kept, not fetched"},
        },
        "additionalProperties": {
            "description": "attribute[code]=value for each attribute; attribute[code][]=value for "
            "each value of a multivaluelist"
        },
    },
    # The back-office status API.
    "CaseState": {
        "type": "object",
        "required": ["reference", "status", "status_label", "open311_status", "updated_at", "expected_date"],
        "properties": {
            "reference": STRING,
            "status": {"type": "string", "enum": list(CaseStatus.values)},
            "status_label": STRING,
            "open311_status": {"type": "string", "enum": ["open", "closed"]},
            "updated_at": {"type": "string", "format": "date-time"},
            "expected_date": _nullable("string", format="date"),
        },
    },
    "StatusUpdate": {
        "type": "object",
        "required": ["update_id"],
        "additionalProperties": False,
        "properties": {
            "update_id": {
                "type": ["string", "integer"],
                "description": "Yours: the same id twice is applied once",
            },
            "status": {
                "type": "string",
                "description": "A portal status ("
                + ", ".join(CaseStatus.values)
                + "), Open311's open or closed, or FixMyStreet's (IN_PROGRESS, ACTION_SCHEDULED, "
                "INVESTIGATING, FIXED, CLOSED, NOT_COUNCILS_RESPONSIBILITY, DUPLICATE, NO_FURTHER_ACTION, "
                "WONT_FIX, INTERNAL_REFERRAL); any case. Moving to resolved, rejected or awaiting "
                "resident needs a public_message.",
            },
            "public_message": {"type": "string", "description": "Shown to the resident, who is told"},
            "internal_note": {"type": "string", "description": "For staff only"},
            "expected_date": {"type": "string", "format": "date"},
            "updated_at": {
                "type": "string",
                "format": "date-time",
                "description": "When you made it: an update older than one applied is kept, not applied",
            },
        },
    },
    "StatusUpdateResult": {
        "type": "object",
        "required": ["case_reference", "status", "outcome"],
        "properties": {
            "case_reference": STRING,
            "status": STRING,
            "outcome": {"type": "string", "enum": ["applied", "duplicate", "stale"]},
        },
    },
    "StatusErrors": {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {"field": STRING, "code": STRING, "message": STRING},
                },
            }
        },
    },
}

OPENAPI_OPERATION = {
    "summary": "This document",
    "responses": {
        "200": {
            "description": "The OpenAPI 3.1 document",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
}


def _open311_paths() -> dict[str, Any]:
    window = [
        _query(
            "start_date",
            "Earliest requested (or update) time, W3C format, e.g. 2026-01-31T09:00:00Z; a date "
            "alone (2026-01-31) is its start",
        ),
        _query(
            "end_date",
            "Latest time; a date alone is its end. At most 90 days after start_date (default: "
            "the last 90 days)",
        ),
    ]
    return {
        "/open311/v2/discovery.{format}": {
            "get": {
                "summary": "Discovery: this server's endpoint and formats",
                "parameters": [FORMAT],
                "responses": {"200": _o311(_ref("Discovery"), "The discovery document"), **O311_ERRORS},
            }
        },
        "/open311/v2/services.{format}": {
            "get": {
                "summary": "The services (forms) reports can be filed to",
                "parameters": [FORMAT, JURISDICTION],
                "responses": {
                    "200": _o311({"type": "array", "items": _ref("Service")}, "The services"),
                    **O311_ERRORS,
                },
            }
        },
        "/open311/v2/services/{service_code}.{format}": {
            "get": {
                "summary": "A service's definition: its questions as attributes",
                "parameters": [
                    {"name": "service_code", "in": "path", "required": True, "schema": STRING},
                    FORMAT,
                    JURISDICTION,
                ],
                "responses": {"200": _o311(_ref("ServiceDefinition"), "The definition"), **O311_ERRORS},
            }
        },
        "/open311/v2/requests.{format}": {
            "get": {
                "summary": f"Public requests, newest first (at most {MAX_RESULTS})",
                "description": "No key needed (a key that will not do is ignored); public fields only.",
                "parameters": [
                    FORMAT,
                    JURISDICTION,
                    _query("service_request_id", "Comma-separated references; overrides the other filters"),
                    _query("service_code", "Comma-separated service codes"),
                    *window,
                    _query("status", "open or closed (comma-separated)"),
                ],
                "responses": {
                    "200": _o311({"type": "array", "items": _ref("ServiceRequest")}, "The requests"),
                    **O311_ERRORS,
                },
            },
            "post": {
                "summary": "File a report (checked as the web form checks it)",
                "description": "Form-encoded, as the spec says. Needs a key with the open311_report scope "
                "(api_key field, X-Api-Key header or Bearer token). Every call is audited. The same "
                "report sent again by the same client (the same parameters, or the same "
                "Idempotency-Key header) files nothing new: the answer is the first one's.",
                "security": [{"apiKeyField": []}, {"apiKeyHeader": []}, {"bearer": []}],
                "parameters": [
                    FORMAT,
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "Any string of yours: a POST with one you have sent before "
                        "gives the first answer (the parameters are compared instead when absent)",
                        "schema": STRING,
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": _ref("NewServiceRequest")}},
                },
                "responses": {
                    "200": _o311(_ref("ServiceRequestCreated"), "Filed: the case reference"),
                    **O311_ERRORS,
                    **KEY_ERRORS,
                },
            },
        },
        "/open311/v2/requests/{service_request_id}.{format}": {
            "get": {
                "summary": "One public request (a list of one)",
                "parameters": [
                    {"name": "service_request_id", "in": "path", "required": True, "schema": STRING},
                    FORMAT,
                    JURISDICTION,
                ],
                "responses": {
                    "200": _o311({"type": "array", "items": _ref("ServiceRequest")}, "The request"),
                    **O311_ERRORS,
                },
            }
        },
        "/open311/v2/servicerequestupdates.{format}": {
            "get": {
                "summary": "Status updates in a period (FixMyStreet's extension), oldest first",
                "description": "In XML the root is service_request_updates with request_update "
                "items, as mySociety's Open311 endpoints write it; FixMyStreet reads the "
                "request_update items whatever the root is called.",
                "parameters": [FORMAT, JURISDICTION, *window],
                "responses": {"200": _o311(_ref("ServiceRequestUpdates"), "The updates"), **O311_ERRORS},
            }
        },
        "/open311/v2/openapi.json": {"get": OPENAPI_OPERATION},
    }


def _status_paths() -> dict[str, Any]:
    refusals = {
        "401": _status_error("No key, or an unknown one (code unauthorised)"),
        "403": _status_error("A revoked key, or one without the case_updates scope (code forbidden)"),
        "404": _status_error("No such case for this client (code not_found)"),
        "429": _status_error(
            "Too many calls: wait for Retry-After (code rate_limited); also answered before any key "
            "is checked when an address has made too many calls without a valid key in the last minute"
        ),
    }
    update = {
        "summary": "Update a case: status, public message, internal note, expected date",
        "description": "Idempotent per update_id; the case's own state rules apply.",
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("StatusUpdate")}}},
        "responses": {
            "200": {
                "description": "Applied, or already applied, or older than one applied",
                "content": {"application/json": {"schema": _ref("StatusUpdateResult")}},
            },
            "400": _status_error(
                "Bad JSON or fields: each error names its field, or body for the whole body"
            ),
            **refusals,
            "405": _status_error("Not POST (code method_not_allowed; the Allow header says which)"),
            "413": _status_error("A body over 64 KB (code too_large)"),
            "409": _status_error(
                "The update_id was already used for an update to another case (field update_id). "
                "Update ids must be unique across all of an API client's cases. Nothing is applied "
                "or kept: send this update again with its own update_id."
            ),
            "422": _status_error(
                "A move the case's rules do not allow (field status), or a closing move without a "
                "message (field public_message)"
            ),
        },
    }
    reference = {"name": "reference", "in": "path", "required": True, "schema": STRING}
    return {
        "/api/back-office/v1/cases/{reference}": {
            "get": {
                "summary": "A case's status (cases delivered to this client's back office)",
                "security": [{"bearer": []}],
                "parameters": [reference],
                "responses": {
                    "200": {
                        "description": "The case",
                        "content": {"application/json": {"schema": _ref("CaseState")}},
                    },
                    **refusals,
                },
            }
        },
        "/api/back-office/v1/cases/{reference}/updates": {"post": {**update, "parameters": [reference]}},
        "/api/back-office/v1/remote/{remote_id}/updates": {
            "post": {
                **update,
                "summary": "Update a case by the back office's own id for it",
                "parameters": [{"name": "remote_id", "in": "path", "required": True, "schema": STRING}],
            }
        },
        "/api/back-office/v1/openapi.json": {"get": OPENAPI_OPERATION},
    }


def openapi_document() -> dict[str, Any]:
    """The whole document (a new dict each time: callers may change it)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{settings.WAGTAIL_SITE_NAME}: APIs for other systems",
            "version": "1.0.0",
            "description": "Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), with "
            "FixMyStreet's servicerequestupdates extension, and the back-office status API. "
            "Open311 errors are the spec's list of {code, description}.",
        },
        "servers": [{"url": settings.SITE_URL}],
        "paths": {**_open311_paths(), **_status_paths()},
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {
                "apiKeyField": {"type": "apiKey", "in": "query", "name": "api_key"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }
