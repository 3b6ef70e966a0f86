"""Open311 answers in JSON and XML, shaped as the GeoReport v2 spec shows them.

JSON is the spec's lists and objects as they stand. XML wraps a list in its root element and
each item in the item element (``<services><service>...``); a list inside an item wraps each
entry in the singular of its name (``<attributes><attribute>``, ``<values><value>``,
``<endpoints><endpoint>``, ``<formats><format>``); ``null`` is an empty element and booleans
are ``true``/``false``. Characters XML 1.0 cannot carry (control characters, lone surrogates,
U+FFFE/U+FFFF: a resident's text may hold them) are left out, so the XML always parses.

The updates' root is ``service_request_updates`` with ``request_update`` items, as mySociety's
own Open311 endpoints (``Open311::Endpoint``) write it. FixMyStreet's client reads the
``request_update`` items and ignores the root's name (XML::Simple without KeepRoot), so it
reads this as it reads the ``service_requests_updates`` root its test fixtures use.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"

# Each answer's XML root element and the element of each of its items (None: one object).
ROOTS = {
    "discovery": ("discovery", None),
    "services": ("services", "service"),
    "service_definition": ("service_definition", None),
    "requests": ("service_requests", "request"),
    "updates": ("service_request_updates", "request_update"),
    "errors": ("errors", "error"),
}
_ITEM_OF = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
# What XML 1.0 does not allow in text (tab, newline and carriage return are allowed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any, tag: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item, key)
    elif isinstance(value, list):
        child_tag = _ITEM_OF.get(tag, "item")
        for item in value:
            _fill(ET.SubElement(element, child_tag), item, child_tag)
    else:
        element.text = _text(value) or None


def xml_bytes(kind: str, data: Any) -> bytes:
    """``data`` as the spec's XML for an answer of ``kind`` (see ``ROOTS``)."""
    root_tag, item_tag = ROOTS[kind]
    root = ET.Element(root_tag)
    if item_tag is None:
        _fill(root, data, root_tag)
    else:
        for item in data:
            _fill(ET.SubElement(root, item_tag), item, item_tag)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode()


def open311_response(kind: str, data: Any, fmt: str, *, status: int = 200) -> HttpResponse:
    """An answer in the format the address asked for (``.json`` or ``.xml``)."""
    if fmt == "xml":
        return HttpResponse(xml_bytes(kind, data), content_type=XML_TYPE, status=status)
    if kind == "updates":
        data = {"service_request_updates": data}
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type=JSON_TYPE, status=status)


def error_response(status: int, descriptions: list[str], fmt: str, *, retry_after: int = 0) -> HttpResponse:
    """The spec's error list: ``[{"code": 400, "description": "..."}]`` or
    ``<errors><error><code>400</code><description>...</description></error></errors>``."""
    errors = [{"code": status, "description": description} for description in descriptions]
    response = open311_response("errors", errors, fmt, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
