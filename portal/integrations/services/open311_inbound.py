"""The portal as an Open311 GeoReport v2 server: what it lists, how a form becomes a service
definition, how a report filed by another app becomes a case, and what anyone may read back.

Services are the forms an editor has opted in (``ServiceForm.open311_listed``: street reports,
whose position and status are public) that an app can file without a person at a browser: live
(published, not archived), opening a case, with no fee and no sign-in required
(``open311_forms``). The ``service_code`` is the form's web address (slug).

A form's questions map onto Open311 like this (``service_mapping``, the same for the service
definition, for reading a POST and for naming errors):

* the first *location* question is Open311's own location: ``address_string`` is its
  description, ``lat``/``long`` its map position (a position alone is described as such);
* the first *long text* question is ``description``;
* the first *email* question is ``email`` (with none, ``email`` is the address the web's
  "Your email address" step would ask for: every report needs one for its reference);
* the first *text* question filled from the profile's full name is ``first_name`` and
  ``last_name`` (joined);
* the first *phone* question is ``phone``;
* the first *file* question is ``media_url``: the link is kept in the answers, never fetched;
* every other question is an attribute whose code is the question's name; a question of
  several inputs (an address, another location) is one attribute per input, coded as the
  web form names the input (``address-postcode``).

Reading requests needs no key and shows no personal data: only cases of listed services, and
only the spec's public fields. ``description`` is always null (a resident's own words may name
them), as is ``media_url`` (a photo may show a person); no name, email, phone or home address;
``address``/``lat``/``long`` come only from the location question (where the problem is).

A message is published (``status_notes``, an update's ``description``) only when staff or the
back office wrote it (``Actor.STAFF``) on a case filed through an app: a status change's message
can be the resident's own words (why they withdrew, what was not fixed) or an officer's note to
a resident who reported on the web, and those stay on the resident's case page.

A report POSTed twice (an app retrying after a timeout) files one case: the first request's
``service_request_id`` is given again (``AppSubmission``, by a hash of what was sent, or of the
``Idempotency-Key`` header when the app sends one).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case as Choose
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, TextField, Value, When
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import strip_tags

from forms_engine.constants import FeeType, SignIn, SubmissionChannel
from forms_engine.engine import CONTACT_FIELD, condition_text
from forms_engine.models import FormVersion, ServiceForm
from forms_engine.services import (
    SubmissionIncomplete,
    SubmissionInvalid,
    form_version_current,
    submission_create_for_app,
)
from portal.cases.constants import OPEN311_STATUS, Actor, CaseStatus, EventType
from portal.cases.models import Case, CaseEvent

from ..models import ApiClient, AppSubmission

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The spec's limits: at most 90 days per search, and 1000 requests per answer.
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
MAX_IDS = 100
# The moments a search may name: a 90-day window either side still fits the calendar.
_EARLIEST = datetime.min.replace(tzinfo=UTC) + MAX_SPAN + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - MAX_SPAN - timedelta(days=1)

# FixMyStreet's statuses for its ``servicerequestupdates`` extension, from the case's.
FMS_STATUS: dict[str, str] = {
    CaseStatus.AWAITING_PAYMENT: "open",
    CaseStatus.SUBMITTED: "open",
    CaseStatus.IN_PROGRESS: "in_progress",
    CaseStatus.AWAITING_RESIDENT: "in_progress",
    CaseStatus.RESOLVED: "fixed",
    CaseStatus.REJECTED: "no_further_action",
    CaseStatus.WITHDRAWN: "closed",
    CaseStatus.CLOSED_UNPAID: "closed",
}


class Open311Error(Exception):
    """A call the server refuses: ``status`` (the HTTP status, also each error's ``code``)
    and one description per problem, rendered in the spec's error format."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = list(descriptions) or ["Error"]


# Services


def open311_forms() -> QuerySet[ServiceForm]:
    """The forms offered as Open311 services (see the module's docstring), by title."""
    return (
        ServiceForm.objects.filter(
            open311_listed=True, live=True, archived=False, creates_case=True, fee_type=FeeType.NONE
        )
        .exclude(sign_in=SignIn.REQUIRED)
        .select_related("service")
        .order_by("title")
    )


def _listed_version(form: ServiceForm) -> FormVersion | None:
    """The live version of ``form`` if what it froze still qualifies (the row and the version agree)."""
    version = form_version_current(form=form)
    if version is None:
        return None
    schema = version.schema
    if (schema.get("fee") or {}).get("type", FeeType.NONE) != FeeType.NONE:
        return None
    if not (schema.get("case") or {}).get("creates_case", True) or schema.get("sign_in") == SignIn.REQUIRED:
        return None
    return version


def open311_form(code: str) -> tuple[ServiceForm, FormVersion]:
    """The listed form whose service code is ``code``; 404 otherwise."""
    form = open311_forms().filter(slug=code).first()
    version = _listed_version(form) if form is not None else None
    if form is None or version is None:
        raise Open311Error(404, f"No service with the service_code '{code[:80]}'")
    return form, version


@dataclass
class Attribute:
    """One attribute of a service definition, and the question (and input) it answers."""

    question: str
    part: str  # "" for a one-input question, else "line_1", "latitude"...
    definition: dict[str, Any]


@dataclass
class ServiceMapping:
    """Which question each Open311 standard field fills, and the attributes for the rest."""

    location: str = ""
    location_coordinates: bool = False
    description: str = ""
    email: str = ""
    name: str = ""
    phone: str = ""
    media: str = ""
    attributes: list[Attribute] = field(default_factory=list)

    def parameter(self, question: str, input_name: str = "") -> str:
        """The Open311 parameter that gives ``question`` (or its input ``input_name``)."""
        if question == self.location:
            return {"latitude": "lat", "longitude": "long"}.get(
                input_name.rpartition("-")[2], "address_string"
            )
        standard = {
            self.description: "description",
            self.email: "email",
            CONTACT_FIELD: "email",
            self.name: "first_name",
            self.phone: "phone",
            self.media: "media_url",
        }
        if question in standard and question:
            return standard[question]
        return f"attribute[{input_name or question}]"


_LOCATION_PARTS = (
    ("description", "Description of the location", "string", True),
    ("latitude", "Latitude", "number", False),
    ("longitude", "Longitude", "number", False),
)
_ADDRESS_PARTS = (
    ("line_1", "Address line 1", True),
    ("line_2", "Address line 2", False),
    ("town", "Town or city", True),
    ("postcode", "Postcode", True),
)
_DATATYPES = {
    "text": "string",
    "long_text": "text",
    "email": "string",
    "phone": "string",
    "number": "number",
    "date": "datetime",
    "radios": "singlevaluelist",
    "select": "singlevaluelist",
    "checkboxes": "multivaluelist",
    "file": "string",
    "declaration": "singlevaluelist",
}


def _type_note(q: dict) -> str:
    options = q.get("options") or {}
    kind = q["type"]
    if kind == "date":
        return "A date, in the format YYYY-MM-DD"
    if kind == "number":
        note = "A whole number" if options.get("whole_number", True) else "A number"
        limits = [f"at least {options['min_value']}" if options.get("min_value") not in (None, "") else ""]
        limits.append(f"at most {options['max_value']}" if options.get("max_value") not in (None, "") else "")
        limits = [limit for limit in limits if limit]
        return f"{note}, {' and '.join(limits)}" if limits else note
    if kind == "email":
        return "An email address"
    if kind == "phone":
        return "A UK phone number"
    if kind == "file":
        return "A link (https://...) to the file"
    if kind == "declaration":
        return f"'true' to confirm: {options.get('statement') or q['label']}"
    if kind == "checkboxes":
        return "Any of the values, each as attribute[code][]"
    return ""


def service_mapping(schema: dict[str, Any]) -> ServiceMapping:
    """How the form frozen in ``schema`` maps onto Open311 (see the module's docstring)."""
    mapping = ServiceMapping()
    order = 0
    for step in schema.get("steps") or []:
        for q in step["questions"]:
            name, kind = q["name"], q["type"]
            options = q.get("options") or {}
            if kind == "location" and not mapping.location:
                mapping.location = name
                mapping.location_coordinates = bool(options.get("ask_coordinates", True))
                continue
            standard = {
                "long_text": "description",
                "email": "email",
                "phone": "phone",
                "file": "media",
            }.get(kind)
            if kind == "text" and options.get("prefill") == "full_name":
                standard = "name"
            if standard and not getattr(mapping, standard):
                setattr(mapping, standard, name)
                continue
            condition = q.get("condition") or step.get("condition")
            required = bool(q.get("required")) and not condition
            notes = [condition_text(condition)] if condition else []
            if q.get("hint"):
                notes.append(q["hint"])
            if kind in ("address", "location"):
                parts: list[tuple[str, str, str, bool]] = (
                    [(p, label, "string", req) for p, label, req in _ADDRESS_PARTS]
                    if kind == "address"
                    else list(_LOCATION_PARTS)
                )
                if kind == "location" and not options.get("ask_coordinates", True):
                    parts = parts[:1]
                for part, label, datatype, part_required in parts:
                    order += 1
                    description = "; ".join(
                        [*notes, "Required when any part is given"] if not part_required else notes
                    )
                    mapping.attributes.append(
                        Attribute(
                            question=name,
                            part=part,
                            definition=_attribute(
                                code=f"{name}-{part}",
                                datatype=datatype,
                                required=required and part_required,
                                datatype_description=description,
                                order=order,
                                description=f"{q['label']}: {label}",
                            ),
                        )
                    )
                continue
            order += 1
            values: list[dict[str, str]] = []
            if kind in ("radios", "select", "checkboxes"):
                values = [{"key": str(c), "name": str(c)} for c in options.get("choices") or []]
            elif kind == "declaration":
                values = [{"key": "true", "name": str(options.get("statement") or q["label"])}]
            note = _type_note(q)
            mapping.attributes.append(
                Attribute(
                    question=name,
                    part="",
                    definition=_attribute(
                        code=name,
                        datatype=_DATATYPES.get(kind, "string"),
                        required=required,
                        datatype_description="; ".join(n for n in [note, *notes] if n),
                        order=order,
                        description=q["label"],
                        values=values,
                    ),
                )
            )
    return mapping


def _attribute(
    *,
    code: str,
    datatype: str,
    required: bool,
    datatype_description: str,
    order: int,
    description: str,
    values: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "variable": True,
        "code": code,
        "datatype": datatype,
        "required": required,
        "datatype_description": datatype_description or None,
        "order": order,
        "description": description,
        "values": values or [],
    }


def _plain(html: str) -> str:
    return " ".join(strip_tags(html or "").split())


def _service_summary(form: ServiceForm, version: FormVersion) -> dict[str, Any]:
    schema = version.schema
    service = form.service
    keywords = [service.label] if service is not None else []
    if form.service_id:
        keywords.append(f"LGSL {form.service_id}")
    return {
        "service_code": form.slug,
        "service_name": form.title,
        "description": _plain(schema.get("intro") or "") or form.title,
        "metadata": bool(service_mapping(schema).attributes),
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": (service.directory if service is not None else "") or "",
    }


def open311_service_list() -> list[dict[str, Any]]:
    """GET services: every listed form, in the spec's fields."""
    services = []
    for form in open311_forms():
        version = _listed_version(form)
        if version is not None:
            services.append(_service_summary(form, version))
    return services


def open311_service_definition(code: str) -> dict[str, Any]:
    """GET services/{code}: the form's questions as attributes (``service_mapping``)."""
    form, version = open311_form(code)
    return {
        "service_code": form.slug,
        "attributes": [a.definition for a in service_mapping(version.schema).attributes],
    }


# Filing a report


def _attribute_values(params: QueryDict) -> dict[str, Any]:
    """``attribute[code]=v`` (and ``attribute[code][]=v`` repeated, for a multivaluelist)."""
    values: dict[str, Any] = {}
    for key in params:
        if not key.startswith("attribute[") or "]" not in key:
            continue
        code = key[len("attribute[") : key.index("]")]
        if key.endswith("[]") and key != f"attribute[{code}]":
            values[code] = [v for v in params.getlist(key) if v != ""]
        else:
            items = params.getlist(key)
            values[code] = items if len(items) > 1 else (items[0] if items else "")
    return values


def _answers_from_params(mapping: ServiceMapping, params: QueryDict) -> dict[str, Any]:
    """The form's answers from a POST's parameters, keyed by question name (``engine.api``)."""
    given = _attribute_values(params)
    answers: dict[str, Any] = {}
    for attribute in mapping.attributes:
        value = given.get(attribute.definition["code"])
        if value in (None, "", []):
            continue
        if attribute.part:
            answers.setdefault(attribute.question, {})[attribute.part] = value
        else:
            answers[attribute.question] = value
    if mapping.location:
        lat, long = params.get("lat", "").strip(), params.get("long", "").strip()
        address = params.get("address_string", "").strip()
        if lat or long or address:
            if not address and lat and long:
                address = f"Map position {lat}, {long}"
            answers[mapping.location] = {"description": address, "latitude": lat, "longitude": long}
    name = " ".join(
        p for p in (params.get("first_name", "").strip(), params.get("last_name", "").strip()) if p
    )
    for question, value in (
        (mapping.description, params.get("description", "")),
        (mapping.email, params.get("email", "")),
        (mapping.name, name),
        (mapping.phone, params.get("phone", "")),
        (mapping.media, params.get("media_url", "")),
    ):
        if question and value.strip():
            answers[question] = value.strip()
    return answers


def open311_request_hash(params: QueryDict, idempotency_key: str = "") -> str:
    """What makes two POSTs the same report: the ``Idempotency-Key`` the app sent, or else every
    parameter but the key (sorted, so their order does not matter)."""
    if idempotency_key.strip():
        material = "idempotency-key\n" + idempotency_key.strip()
    else:
        material = json.dumps(
            sorted((name, value) for name in params if name != "api_key" for value in params.getlist(name))
        )
    return hashlib.sha256(material.encode()).hexdigest()


def _filed_answer(client: ApiClient, request_hash: str) -> list[dict[str, Any]] | None:
    """The answer given to the first POST of this report, if ``client`` has sent it before."""
    earlier = (
        AppSubmission.objects.filter(client=client, request_hash=request_hash)
        .select_related("submission__case", "submission__version")
        .first()
    )
    if earlier is None or earlier.submission.case is None:
        return None
    return _created_answer(earlier.submission.case, earlier.submission.version)


def _created_answer(case: Case, version: FormVersion) -> list[dict[str, Any]]:
    return [
        {
            "service_request_id": case.reference,
            "service_notice": _service_notice(version.schema),
            "account_id": None,
        }
    ]


def open311_request_create(
    *, params: QueryDict, client: ApiClient, idempotency_key: str = ""
) -> list[dict[str, Any]]:
    """POST requests: file a report through the form's own checks and the web's submission
    path (``forms_engine.services.submission_create_for_app``), on the API channel with the
    client's name. Returns the spec's answer, with the case's reference as the request id.

    The same report sent again by the same client (``open311_request_hash``) files nothing and
    gets the first answer: an app that timed out and retried must not make a second case. Two
    copies sent at once both try; the second to record its ``AppSubmission`` is rolled back
    whole (its case, confirmation and deliveries with it) and answers with the first.

    Raises ``Open311Error``: 400 with one error per failing question (naming its Open311
    parameter), 404 for an unknown service.
    """
    code = params.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code: Enter the service_code of the service (see services.json)")
    request_hash = open311_request_hash(params, idempotency_key)
    earlier = _filed_answer(client, request_hash)
    if earlier is not None:
        return earlier
    form, version = open311_form(code)
    mapping = service_mapping(version.schema)
    answers = _answers_from_params(mapping, params)
    try:
        with transaction.atomic():
            submission = submission_create_for_app(
                form=form, answers=answers, api_client=client.name, email=params.get("email", "").strip()
            )
            AppSubmission.objects.create(client=client, request_hash=request_hash, submission=submission)
    except IntegrityError:
        earlier = _filed_answer(client, request_hash)
        if earlier is None:
            raise
        return earlier
    except SubmissionInvalid as exc:
        # One error per parameter: a bad ``email`` fails the form's email question and then the
        # contact address the web asks for in its place; the app has one thing to fix.
        errors: dict[str, str] = {}
        for question, message in exc.errors.items():
            errors.setdefault(mapping.parameter(question, exc.fields.get(question, "")), message)
        raise Open311Error(
            400, *(f"{parameter}: {message}" for parameter, message in errors.items())
        ) from None
    except SubmissionIncomplete as exc:
        raise Open311Error(400, f"email: {exc.message}") from None
    case = submission.case
    assert case is not None  # listed services open a case
    return _created_answer(case, version)


def _service_notice(schema: dict[str, Any]) -> str:
    case_settings = schema.get("case") or {}
    return _plain(case_settings.get("next_steps") or "") or _plain(
        case_settings.get("confirmation_text") or ""
    )


# Reading requests


def _when(value: str, name: str, *, end: bool = False) -> datetime:
    """A W3C date and time, or a date alone (``YYYY-MM-DD``: its start, or for ``end`` its
    end, so ``end_date=2026-01-31`` takes in the whole of 31 January); 400 otherwise.

    A date alone is read as a date first: ``parse_datetime`` would take it as midnight, and an
    end date would then miss its own day.
    """
    text = value.strip().replace(" ", "+") if "T" in value else value.strip()
    problem = f"{name}: Enter a date and time in W3C format, like 2026-01-31T09:00:00Z"
    moment: datetime | None = None
    try:
        day = parse_date(text) if len(text) == 10 else None
        if day is not None:
            moment = datetime.combine(day, time.max if end else time.min)
        else:
            moment = parse_datetime(text)
        if moment is None:
            raise Open311Error(400, problem)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # A moment at the ends of the calendar cannot be searched (the window around it would
        # overflow): refuse it here rather than fail later.
        utc = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Open311Error(400, problem) from None
    if not _EARLIEST <= utc <= _LATEST:
        raise Open311Error(400, f"{name}: Enter a date between the years 1 and 9999")
    return moment


def search_window(params: QueryDict) -> tuple[datetime, datetime]:
    """``start_date``/``end_date`` as the spec reads them: by default the last 90 days, and
    never more than 90 days; 400 for a date that cannot be read or an end before the start."""
    start_text, end_text = params.get("start_date", ""), params.get("end_date", "")
    end = _when(end_text, "end_date", end=True) if end_text.strip() else None
    start = _when(start_text, "start_date") if start_text.strip() else None
    if end is None:
        end = start + MAX_SPAN if start is not None else timezone.now()
    if start is None:
        start = end - MAX_SPAN
    if start > end:
        raise Open311Error(400, "end_date: The end_date must be the same as or after the start_date")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "end_date: A search may span at most 90 days")
    return start, end


def _public_cases() -> QuerySet[Case]:
    """Cases of listed services (their forms' current settings), with what is shown of them."""
    return Case.objects.filter(submission__version__form__in=open311_forms()).select_related(
        "team", "submission__version__form"
    )


def _moment(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _day(value: date | None) -> str | None:
    return _moment(timezone.make_aware(datetime.combine(value, time.min))) if value else None


def _location(case: Case) -> tuple[str | None, float | None, float | None]:
    submission = case.submission
    mapping = service_mapping(submission.version.schema)
    answer = (submission.answers or {}).get(mapping.location) if mapping.location else None
    if not isinstance(answer, dict):
        return None, None, None

    def number(text: Any) -> float | None:
        try:
            return float(text) if text not in (None, "") else None
        except (TypeError, ValueError):
            return None

    return (
        (answer.get("description") or None),
        number(answer.get("latitude")),
        number(answer.get("longitude")),
    )


def _public_request(case: Case, notes: str | None) -> dict[str, Any]:
    """One case in the spec's public fields (see the module's docstring: ``description`` and
    ``media_url`` null, no name, email, phone or home address)."""
    form = case.submission.version.form
    address, lat, long = _location(case)
    return {
        "service_request_id": case.reference,
        "status": OPEN311_STATUS.get(CaseStatus(case.status), "open"),
        "status_notes": notes or None,
        "service_name": form.title,
        "service_code": form.slug,
        "description": None,
        "agency_responsible": case.team.name if case.team is not None else None,
        "service_notice": _service_notice(case.submission.version.schema) or None,
        "requested_datetime": _moment(case.created_at),
        "updated_datetime": _moment(case.last_public_event_at or case.created_at),
        "expected_datetime": _day(case.expected_on or case.due_on),
        "address": address,
        "lat": lat,
        "long": long,
        "media_url": None,
    }


def _published(message: str) -> Choose:
    """``message`` where it may be published (see the module's docstring), else null: the event
    is by staff or the back office, on a case filed through an app."""
    return Choose(
        When(
            Q(actor_role=Actor.STAFF) & Q(case__submission__channel=SubmissionChannel.API),
            then=F(message),
        ),
        default=Value(None),
        output_field=TextField(),
    )


def _with_notes(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Each case's ``public_notes``: the message of its latest status change that has one, if
    that message may be published (a resident's reason for withdrawing is never replaced by an
    officer's older message: it is null)."""
    latest = (
        CaseEvent.objects.filter(case=OuterRef("pk"), public=True, type=EventType.STATUS_CHANGE)
        .exclude(message="")
        .order_by("-created_at", "-pk")
        .annotate(shown=_published("message"))
        .values("shown")[:1]
    )
    return cases.annotate(public_notes=Subquery(latest))


def open311_requests(params: QueryDict) -> list[dict[str, Any]]:
    """GET requests: by ``service_request_id`` (a comma list, overriding the rest), else by
    ``service_code``, ``status`` and the window of ``start_date``/``end_date``, newest first,
    at most 1000."""
    cases = _public_cases()
    ids = [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        if len(ids) > MAX_IDS:
            raise Open311Error(400, f"service_request_id: Ask for at most {MAX_IDS} requests at once")
        cases = cases.filter(reference__in=ids)
    else:
        codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
        if codes:
            known = set(open311_forms().filter(slug__in=codes).values_list("slug", flat=True))
            unknown = [c for c in codes if c not in known]
            if unknown:
                raise Open311Error(400, f"service_code: No service with the service_code '{unknown[0][:80]}'")
            cases = cases.filter(submission__version__form__slug__in=codes)
        statuses = [s.strip().lower() for s in params.get("status", "").split(",") if s.strip()]
        if statuses:
            if any(s not in ("open", "closed") for s in statuses):
                raise Open311Error(400, "status: The status must be open or closed")
            wanted = [s for s, o311 in OPEN311_STATUS.items() if o311 in statuses]
            cases = cases.filter(status__in=wanted)
        start, end = search_window(params)
        cases = cases.filter(created_at__gte=start, created_at__lte=end)
    cases = _with_notes(cases).order_by("-created_at", "-pk")[:MAX_RESULTS]
    return [_public_request(case, getattr(case, "public_notes", None)) for case in cases]


def open311_request(reference: str) -> list[dict[str, Any]]:
    """GET requests/{id}: one case (as a list of one, as the spec shows it); 404 otherwise."""
    case = _with_notes(_public_cases().filter(reference=reference)).first()
    if case is None:
        raise Open311Error(404, f"No request with the service_request_id '{reference[:80]}'")
    return [_public_request(case, getattr(case, "public_notes", None))]


# Status updates (FixMyStreet's extension)


def open311_updates(params: QueryDict) -> list[dict[str, Any]]:
    """GET servicerequestupdates: the public updates of listed services' cases made in the
    window, oldest first (at most 1000): each status change, and the officer's messages on
    requests filed through an app. ``description`` is the message only where it may be
    published (see the module's docstring), else "" (FixMyStreet's schema wants a string; it
    reads a blank one as a change of status alone). ``status`` is FixMyStreet's word for the
    case's status after the update (``FMS_STATUS``)."""
    start, end = search_window(params)
    status_then = (
        CaseEvent.objects.filter(
            case=OuterRef("case"), type=EventType.STATUS_CHANGE, created_at__lte=OuterRef("created_at")
        )
        .order_by("-created_at", "-pk")
        .values("status_to")[:1]
    )
    events = (
        CaseEvent.objects.filter(
            case__in=_public_cases(), public=True, created_at__gt=start, created_at__lte=end
        )
        .filter(
            Q(type=EventType.STATUS_CHANGE)
            | Q(type=EventType.OFFICER_MESSAGE, case__submission__channel=SubmissionChannel.API)
        )
        .select_related("case")
        .annotate(status_then=Subquery(status_then), shown=_published("message"))
        .order_by("created_at", "pk")[:MAX_RESULTS]
    )
    return [
        {
            "update_id": str(event.pk),
            "service_request_id": event.case.reference,
            "status": FMS_STATUS.get(event.status_to or event.status_then or CaseStatus.SUBMITTED, "open"),
            "updated_datetime": _moment(event.created_at),
            "description": getattr(event, "shown", None) or "",
            "media_url": "",
        }
        for event in events
    ]


def open311_discovery(base_url: str) -> dict[str, Any]:
    """GET discovery: where this server is and what it speaks."""
    changeset = (
        ServiceForm.objects.filter(live=True).order_by("-updated_at").values_list("updated_at", flat=True)
    )
    latest = changeset.first() or timezone.now()
    return {
        "changeset": _moment(latest),
        "contact": getattr(settings, "OPEN311_CONTACT", "")
        or f"{settings.WAGTAIL_SITE_NAME}: {settings.SITE_URL}",
        "key_service": getattr(settings, "OPEN311_KEY_SERVICE", "")
        or "Ask the council's integrations team for an API key",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": _moment(latest),
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def jurisdiction_check(params: QueryDict) -> None:
    """``jurisdiction_id`` is optional; when ``OPEN311_JURISDICTION`` is set, another is a 404."""
    wanted = getattr(settings, "OPEN311_JURISDICTION", "")
    given = params.get("jurisdiction_id", "").strip()
    if wanted and given and given != wanted:
        raise Open311Error(404, f"jurisdiction_id: This server serves the jurisdiction '{wanted}' only")
