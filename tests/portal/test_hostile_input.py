"""Hostile input never makes a 500.

Every URL pattern the resolver knows (includes followed: the Wagtail and Django admins, allauth,
the API, forms, payments, cases...) is requested with NUL bytes, a lone surrogate (U+D800 as
UTF-8 bytes, which no decoder accepts), huge numbers, 10,000-character strings and wrong types,
in its path arguments, in the query parameters views read, and in a form body; as a visitor, as
a resident and as a staff member signed in with 2-step verification. Any 4xx (or 2xx, 3xx) is
fine; a 5xx, or an exception escaping the view, fails the test with the whole list.

A new view is walked as soon as it is routed. The values rotate over the parameters from one
request to the next, so each view gets a different mix while the walk stays within a minute.
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote

import pytest

from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.resolvers import RoutePattern

from cms.models import HomePage
from tests.accounts.factories import StaffFactory, UserFactory
from tests.accounts.signin import sign_in
from tests.forms_engine.factories import form_build, question, step
from tests.forms_engine.helpers import form_start
from tests.payments.factories import fee_case
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db

# Values as they appear in a URL (already percent-encoded).
NUL = "a%00b"
SURROGATE = "a%ED%A0%80b"
HUGE = str(10**30)
LONG = "x" * 10_000
NO_SUCH_UUID = "00000000-0000-4000-8000-000000000000"
# Wrong types and shapes, rotated over the query parameters and form fields.
WRONG = [
    HUGE,
    "-1",
    "abc",
    "0",
    "1e309",
    "2026-02-30",
    "99999-12-31",
    "[]",
    "%7B%22a%22%3A1%7D",  # {"a":1}
    "1.5",
    "%F0%9F%92%A9",  # an emoji: valid, but four bytes
    "-" + HUGE,
    "%27%22%3E%3C",  # '"><
    "",
]

# The query parameters the portal's views, Wagtail's admin, choosers and API, allauth and the
# Django admin read.
QUERY_PARAMS = [
    "q", "page", "p", "html_path", "limit", "offset", "type", "order", "ordering", "status",
    "service", "service_code", "fields", "search", "search_operator", "child_of", "descendant_of",
    "format", "next", "change", "days", "t", "team", "assignee", "due", "support", "sort", "start",
    "end", "date", "provider", "locale", "id", "o", "e", "all", "parent_page_id", "page_type",
    "target_pages[]", "collection_id", "tag", "layout", "select_format", "multiple", "link_url",
    "link_text", "user_perms", "can_choose_root", "match_subclass", "action", "code", "token",
]  # fmt: skip
# Form fields posted to every view, on top of the query parameters' names.
FORM_FIELDS = [
    "email", "login", "password", "password1", "password2", "message", "reason", "title", "amount",
    "reference", "postcode", "name", "phone", "address", "day", "month", "year", "answer", "rating",
    "choice", "body", "count", "note", "outcome", "to", "channel", "category",
]  # fmt: skip

# Wagtail's "test the error page" view raises on purpose, so staff can check error reporting.
SKIP = {"wagtailadmin_error_test"}
ADMIN_PREFIXES = ("/admin/", "/django-admin/")


@dataclass(frozen=True)
class Route:
    """A routed URL pattern: the chain of patterns from the root resolver down to the view."""

    chain: tuple
    name: str

    @property
    def label(self) -> str:
        return "".join(str(entry.pattern) for entry in self.chain)

    @property
    def admin(self) -> bool:
        return ("/" + self.label.lstrip("^")).startswith(ADMIN_PREFIXES)

    @property
    def has_arguments(self) -> bool:
        return "<" in self.label or "(" in self.label or ".*" in self.label


def routes() -> list[Route]:
    def walk(resolver, chain):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, (*chain, entry))
            elif isinstance(entry, URLPattern):
                yield Route((*chain, entry), entry.name or getattr(entry.callback, "__name__", ""))

    found = [route for route in walk(get_resolver(), ()) if route.name not in SKIP]
    # Signing out last keeps the session for everything else.
    return sorted(found, key=lambda route: "logout" in route.name)


# Concrete URLs from patterns ----------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")
_GROUP_NAME = re.compile(r"\(\?P<(?P<name>\w+)>")


def _route_part(pattern: RoutePattern, value_for) -> str:
    return _PLACEHOLDER.sub(
        lambda m: value_for(m.group("parameter"), pattern.converters.get(m.group("parameter"))),
        str(pattern._route),
    )


def _group_end(regex: str, start: int) -> int:
    """The index just after the group that opens at ``start``."""
    depth, i, in_class = 0, start, False
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(regex)


def _fits(regex: str, value: str) -> bool:
    return re.fullmatch(regex, unquote(value, errors="surrogateescape")) is not None


def _regex_part(regex: str, value_for) -> str:
    """A string for a regex pattern: each group replaced by the hostile value when the group
    accepts it, otherwise by the first simple value that it does accept."""
    regex = regex.removeprefix("^").removesuffix("$")
    out, i = [], 0
    while i < len(regex):
        char = regex[i]
        if char == "(":
            end = _group_end(regex, i)
            group = regex[i:end]
            if end < len(regex) and regex[end] in "*+?":
                end += 1
            named = _GROUP_NAME.match(group)
            wanted = value_for(named.group("name") if named else "", None)
            alternatives = re.sub(r"^\((\?P<\w+>|\?:)?|\)$", "", group).split("|")
            candidates = [wanted, f"{wanted}/", "1", "a", "a/", "", *alternatives]
            out.append(next((c for c in candidates if _fits(regex[i:end], c)), wanted))
            i = end
        elif char == "\\" and i + 1 < len(regex):
            out.append({"d": "1", "w": "a"}.get(regex[i + 1], regex[i + 1]))
            i += 2
        elif char == "." and regex[i + 1 : i + 2] in ("*", "+"):
            out.append(value_for("", None))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def build_url(route: Route, value_for) -> str:
    parts = []
    for entry in route.chain:
        if isinstance(entry.pattern, RoutePattern):
            parts.append(_route_part(entry.pattern, value_for))
        else:
            parts.append(_regex_part(str(entry.pattern._regex), value_for))
    return "/" + "".join(parts)


def hostile(raw: str):
    """Path values: ``raw`` wherever the converter lets it through to the view."""

    def value_for(name, converter):
        if isinstance(converter, UUIDConverter):
            return NO_SUCH_UUID
        if isinstance(converter, IntConverter) and raw == LONG:
            return HUGE
        return raw

    return value_for


def plausible(world, route: Route):
    """Path values that point at real things, so hostile query strings reach working views."""
    known = {
        "reference": world["payment"].reference if "payments" in route.label else world["case"].reference,
        "token": world["case"].tracking_token,
        "slug": "hostile-form",
        "draft": str(world["draft"].pk),
    }

    def value_for(name, converter):
        if name in known:
            return known[name]
        if isinstance(converter, UUIDConverter):
            return NO_SUCH_UUID
        return str(world["home"].pk) if isinstance(converter, IntConverter) else "a"

    return value_for


def query(shift: int, *, fill: list[str] | None = None) -> str:
    """Every query parameter: one of them 10,000 characters long, the others wrong values."""
    values = fill or WRONG
    long_at = shift % len(QUERY_PARAMS)
    return "&".join(
        f"{name}={LONG if i == long_at and fill is None else values[(i + shift) % len(values)]}"
        for i, name in enumerate(QUERY_PARAMS)
    )


def form_body(shift: int, *, fill: str | None = None) -> str:
    names = QUERY_PARAMS + FORM_FIELDS
    if fill is not None:
        return "&".join(f"{name}={fill}" for name in names)
    long_at = shift % len(names)
    return "&".join(
        f"{name}={LONG if i == long_at else WRONG[(i + shift) % len(WRONG)]}" for i, name in enumerate(names)
    )


# The walk -----------------------------------------------------------------------------------------


@pytest.fixture
def world():
    resident = UserFactory(email="hostile-resident@example.org")
    staff = StaffFactory(email="hostile-staff@council.example", is_superuser=True)
    case = case_make(resident=resident)
    _, payment = fee_case(resident=resident)
    form_build(
        slug="hostile-form",
        steps=[
            step(
                "About you",
                question("text", "name", "Your name"),
                question("number", "count", "How many?"),
                question("date", "when", "When?"),
                question("file", "proof", "Proof", required=False),
            )
        ],
    )
    clients = {"visitor": Client(), "resident": Client(), "staff": Client()}
    sign_in(clients["resident"], resident)
    sign_in(clients["staff"], staff)
    draft = form_start(clients["resident"], "hostile-form")
    return {
        "clients": clients,
        "case": case,
        "payment": payment,
        "draft": draft,
        "home": HomePage.objects.get(),
    }


FORM = "application/x-www-form-urlencoded"


def _send(client, method: str, url: str, failures: list[str], **kwargs) -> None:
    try:
        response = getattr(client, method)(url, **kwargs)
    except Exception as error:  # noqa: BLE001 - every crash is collected, then reported together
        failures.append(f"{method.upper()} {url[:160]}: {type(error).__name__}: {str(error)[:160]}")
        return
    if response.status_code >= 500:
        failures.append(f"{method.upper()} {url[:160]}: {response.status_code}")


SIGNED_IN_PAGE = {"resident": "/my-account/", "staff": "/admin/"}


def walk(client, role: str, world, failures: list[str]) -> None:
    for number, route in enumerate(ROUTES):
        if "logout" in route.name and role in SIGNED_IN_PAGE:
            # Everything before signing out was walked signed in (a view that ended the
            # session would have turned the rest of the walk into a visitor's).
            assert client.get(SIGNED_IN_PAGE[role]).status_code == 200, f"{role} was signed out"
            role = f"{role} (signing out)"
        # Every role gets NUL bytes and a lone surrogate in the path, the query and the body.
        _send(client, "get", f"{build_url(route, hostile(NUL))}?{query(number, fill=[NUL])}", failures)
        url = build_url(route, hostile(SURROGATE))
        _send(client, "get", f"{url}?{query(number, fill=[SURROGATE])}", failures)
        huge = build_url(route, hostile(LONG))
        _send(client, "post", huge, failures, data=form_body(number, fill=NUL), content_type=FORM)
        # Huge and long path values, and wrong values in every query parameter.
        _send(client, "get", f"{huge}?{query(number)}", failures)
        if route.admin and role != "staff":
            continue  # the admins turn visitors and residents away before reading anything else
        if route.has_arguments:
            url = build_url(route, plausible(world, route))
            _send(client, "get", f"{url}?{query(number + 1)}", failures)
        _send(client, "post", huge, failures, data=form_body(number + 2), content_type=FORM)


ROUTES = routes()


def test_the_walk_reaches_every_part_of_the_site():
    labels = {"/" + route.label.lstrip("^") for route in ROUTES}
    for prefix in ("/admin/pages/", "/django-admin/", "/accounts/login/", "/accounts/2fa/", "/api/v2/"):
        assert any(label.startswith(prefix) for label in labels), prefix
    for prefix in ("/forms/", "/payments/", "/my-account/cases/", "/track/", "/search/", "/pay/"):
        assert any(label.startswith(prefix) for label in labels), prefix
    assert len(ROUTES) > 300


def test_no_url_gives_a_500_to_hostile_input(world):
    failures: list[str] = []
    for role, client in world["clients"].items():
        before = len(failures)
        walk(client, role, world, failures)
        failures[before:] = [f"[{role}] {failure}" for failure in failures[before:]]
    assert not failures, f"{len(failures)} requests failed:\n" + "\n".join(failures)


@pytest.mark.parametrize(
    "url",
    [
        "/payments/a%00/",
        "/track/a%00/",
        "/search/?q=%00",
        "/api/v2/pages/find/?html_path=a%00",
        "/api/v2/pages/?search=%ED%A0%80",
        "/admin/pages/?q=%ED%A0%80",
        "/forms/a%ED%A0%80/",
        "/my-account/cases/%ff%fe/",
    ],
)
def test_nul_bytes_and_broken_utf8_get_a_plain_400_page(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "There is a problem with the web address or what was sent" in response.text
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_a_form_body_with_a_nul_byte_or_a_lone_surrogate_gets_400(client):
    login = "/accounts/login/"
    assert client.post(login, {"login": "a\x00@example.org", "password": "x"}).status_code == 400
    assert client.post(login, "login=a%ED%A0%80&password=x", content_type=FORM).status_code == 400
    # JSON can spell a lone surrogate or NUL as an escape; no database column can store it.
    assert client.post(login, '{"login": "\\ud800"}', content_type="application/json").status_code == 400
    assert client.post(login, '{"login": "\\u0000"}', content_type="application/json").status_code == 400
    # A readable body still gets through: the sign-in form answers, whatever it says.
    assert client.post(login, {"login": "é@example.org", "password": "x"}).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/choose-page/chosen-multiple/?id=abc",
        f"/admin/choose-page/chosen-multiple/?id={HUGE}",
        "/admin/images/chooser/chosen-multiple/?id=%F0%9F%92%A9",
        "/admin/choose-external-link/?parent_page_id=1e309",
    ],
)
def test_wagtails_own_views_answer_400_not_500_to_ids_that_are_not_ids(client, url):
    """Wagtail's choosers pass ``?id=`` and ``?parent_page_id=`` straight on to lookups.

    A huge id overflows SQLite's integers (400 here); PostgreSQL compares it as a
    numeric and finds nothing, which Wagtail answers with an empty choice (200).
    """
    sign_in(client, StaffFactory(is_superuser=True))
    response = client.get(url)
    if str(HUGE) in url and connection.vendor == "postgresql":
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "There is a problem with the web address or what was sent" in response.text


def test_an_admin_chooser_search_with_full_text_syntax_is_not_an_error(client):
    """SQLite's full-text engine gives quotes and brackets a meaning: a search in a chooser for
    them finds nothing instead of failing (portal/search_backend.py)."""
    staff = StaffFactory(email="chooser-staff@council.example", is_superuser=True)
    sign_in(client, staff)
    for search in ("'\"><", 'bin"', "(waste", "bulky*", "^x", "a:b", "NEAR(", '""'):
        response = client.get("/admin/snippets/choose/forms_engine/serviceform/", {"q": search})
        assert response.status_code == 200, search
