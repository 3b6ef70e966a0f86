"""The status API: a back office updates the cases sent to it, by our reference or its own id.

Driven through the Django test client with real keys, the real database and the real outbox.
"""

import json
import threading
import uuid
from datetime import date

import pytest

from django.db import connection
from django.urls import reverse

from forms_engine.models import ServiceForm, Submission
from forms_engine.services import form_version_current
from portal.cases.constants import CaseStatus, EventType
from portal.cases.models import CaseEvent
from portal.integrations.constants import ApiScope, DeliveryStatus, DestinationKind, UpdateOutcome
from portal.integrations.models import ApiKeyUse, Delivery, Destination, StatusUpdate
from portal.integrations.services.api_keys import api_client_create, api_client_revoke
from portal.integrations.services.status import StatusUpdateRefused, status_update_apply
from portal.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.forms_engine.factories import missed_bin_form
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db

HIGHWAYS = "Highways system"


# Builders: a back office's API client, a destination that names it, and cases delivered there.


def back_office(name=HIGHWAYS, *, scopes=(ApiScope.CASE_UPDATES,), rate=60):
    """An API client and a destination whose status client it is: (client, key, destination)."""
    new = api_client_create(name=name, scopes=list(scopes), created_by=None, rate_limit_per_minute=rate)
    form = ServiceForm.objects.filter(slug="missed-bin").first() or missed_bin_form()
    destination = Destination.objects.create(
        form=form,
        name=f"{name} inbox",
        kind=DestinationKind.WEBHOOK,
        url="https://back-office.example/hook",
        status_client=new.client,
    )
    return new.client, new.key, destination


def delivered_case(destination, *, remote_id="", resident=None, status="submitted"):
    """A case whose submission was delivered to ``destination`` (with their id, if given)."""
    case = case_make(resident=resident or UserFactory(), status=status)
    submission = Submission.objects.create(
        version=form_version_current(form=destination.form),
        user=case.resident,
        case=case,
        answers={},
        idempotency_key=uuid.uuid4(),
    )
    Delivery.objects.create(
        destination=destination,
        submission=submission,
        case=case,
        status=DeliveryStatus.DELIVERED,
        remote_id=remote_id,
    )
    return case


def case_url(case_or_ref):
    ref = getattr(case_or_ref, "reference", case_or_ref)
    return reverse("back_office_api:case", kwargs={"reference": ref})


def updates_url(case_or_ref):
    ref = getattr(case_or_ref, "reference", case_or_ref)
    return reverse("back_office_api:case_update", kwargs={"reference": ref})


def remote_url(remote_id):
    return reverse("back_office_api:remote_update", kwargs={"remote_id": remote_id})


def post(client, url, key, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.post(url, data=data, content_type="application/json", **headers, **extra)


def get(client, url, key):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def highways():
    return back_office()


# Reading a case


def test_the_back_office_reads_a_case_sent_to_it(client, highways):
    api, key, destination = highways
    case = delivered_case(destination, status="in_progress")
    response = get(client, case_url(case), key)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "reference": case.reference,
        "status": "in_progress",
        "status_label": "In progress",
        "open311_status": "open",
        "updated_at": body["updated_at"],
        "expected_date": None,
    }
    assert body["updated_at"].startswith(str(case.updated_at.date()))
    use = ApiKeyUse.objects.get()
    assert (use.client, use.status_code, use.method) == (api, 200, "GET")
    assert use.path == case_url(case)


def test_cases_not_sent_to_the_client_are_not_found_never_forbidden(client, highways):
    _api, key, _destination = highways
    _other_api, _other_key, other_destination = back_office("Waste system")
    theirs = delivered_case(other_destination, remote_id="W-1")
    never_sent = case_make()
    for url in (case_url(theirs), case_url(never_sent), case_url("NOPE-2026-000001")):
        response = get(client, url, key)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"
    response = post(client, updates_url(theirs), key, {"update_id": "1", "public_message": "Hi"})
    assert response.status_code == 404
    response = post(client, remote_url("W-1"), key, {"update_id": "1", "public_message": "Hi"})
    assert response.status_code == 404
    assert not CaseEvent.objects.filter(case=theirs, type=EventType.OFFICER_MESSAGE).exists()
    assert StatusUpdate.objects.count() == 0
    assert list(ApiKeyUse.objects.values_list("status_code", flat=True)) == [404] * 5


# Keys


def test_no_key_is_401_and_not_audited(client, highways):
    _api, _key, destination = highways
    case = delivered_case(destination)
    response = client.get(case_url(case))
    assert response.status_code == 401
    assert response.json() == {"errors": [{"code": "unauthorised", "message": "An API key is required"}]}
    assert not ApiKeyUse.objects.exists()


def test_a_wrong_key_is_401_and_audited(client, highways):
    _api, _key, destination = highways
    case = delivered_case(destination)
    response = post(
        client, updates_url(case), "cpk_nothing_real", {"update_id": "1", "status": "in_progress"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "unauthorised"
    use = ApiKeyUse.objects.get()
    assert use.client is None and use.status_code == 401


def test_a_revoked_key_is_403_and_changes_nothing(client, highways):
    api, key, destination = highways
    case = delivered_case(destination)
    api_client_revoke(client=api, by=None)
    response = post(client, updates_url(case), key, {"update_id": "1", "status": "in_progress"})
    assert response.status_code == 403
    assert response.json() == {"errors": [{"code": "forbidden", "message": "The API key has been revoked"}]}
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    use = ApiKeyUse.objects.get()
    assert (use.client, use.status_code) == (api, 403)


def test_a_key_without_the_case_updates_scope_is_403(client):
    api, key, destination = back_office(scopes=(ApiScope.OPEN311_REPORT,))
    case = delivered_case(destination)
    response = get(client, case_url(case), key)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "forbidden"
    assert ApiKeyUse.objects.get().client == api


def test_over_the_rate_limit_is_429_with_retry_after(client):
    api, key, destination = back_office(rate=2)
    case = delivered_case(destination)
    assert get(client, case_url(case), key).status_code == 200
    assert get(client, case_url(case), key).status_code == 200
    response = get(client, case_url(case), key)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["errors"][0]["code"] == "rate_limited"
    assert list(ApiKeyUse.objects.order_by("at", "pk").values_list("status_code", flat=True)) == [
        200,
        200,
        429,
    ]


# Updates


def test_an_update_reaches_the_residents_timeline_and_they_are_notified(client, highways):
    api, key, destination = highways
    resident = UserFactory()
    case = delivered_case(destination, resident=resident)
    response = post(
        client,
        updates_url(case),
        key,
        {
            "update_id": "HW-1",
            "status": "in_progress",
            "public_message": "A crew is booked for Tuesday.",
            "internal_note": "Crew 7, job 4471",
            "expected_date": "2027-01-12",
            "updated_at": "2026-12-07T09:30:00Z",
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "case_reference": case.reference,
        "status": "in_progress",
        "outcome": "applied",
    }
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.expected_on == date(2027, 1, 12)
    change = CaseEvent.objects.get(case=case, type=EventType.STATUS_CHANGE, status_to="in_progress")
    assert change.message == "A crew is booked for Tuesday." and change.data["back_office"] == HIGHWAYS
    notified = Notification.objects.filter(case=case, case_event=change)
    assert notified.count() == 1 and notified.get().user == resident
    row = StatusUpdate.objects.get()
    assert (row.source, row.update_id, row.outcome) == (f"client:{api.pk}", "HW-1", UpdateOutcome.APPLIED)
    assert row.remote_time.isoformat() == "2026-12-07T09:30:00+00:00"
    use = ApiKeyUse.objects.get()
    assert use.status_code == 200 and use.detail == f"{case.reference} update HW-1: applied"

    client.force_login(resident)
    page = client.get(reverse("cases:detail", kwargs={"reference": case.reference})).text
    assert "A crew is booked for Tuesday." in page
    assert "We expect to finish by 12 January 2027." in page
    assert "Crew 7, job 4471" not in page


def test_a_repeated_update_id_is_a_duplicate_applied_once(client, highways):
    _api, key, destination = highways
    case = delivered_case(destination, status="in_progress")
    body = {"update_id": "HW-2", "public_message": "Parts are on order."}
    first = post(client, updates_url(case), key, body)
    again = post(client, updates_url(case), key, body)
    assert first.json()["outcome"] == "applied"
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    messages = CaseEvent.objects.filter(case=case, type=EventType.OFFICER_MESSAGE)
    assert messages.count() == 1
    assert Notification.objects.filter(case_event__in=messages).count() == 1
    assert StatusUpdate.objects.get().outcome == UpdateOutcome.APPLIED
    assert list(ApiKeyUse.objects.order_by("at", "pk").values_list("detail", flat=True)) == [
        f"{case.reference} update HW-2: applied",
        f"{case.reference} update HW-2: duplicate",
    ]


def test_an_update_older_than_one_applied_is_stale_and_not_applied(client, highways):
    _api, key, destination = highways
    case = delivered_case(destination, status="in_progress")
    newer = {
        "update_id": "HW-4",
        "status": "resolved",
        "public_message": "Fixed.",
        "updated_at": "2026-12-07T12:00:00+00:00",
    }
    older = {"update_id": "HW-3", "status": "awaiting_resident", "public_message": "Which side of the road?"}
    older["updated_at"] = "2026-12-07T11:00:00+00:00"
    assert post(client, updates_url(case), key, newer).json()["outcome"] == "applied"
    response = post(client, updates_url(case), key, older)
    assert response.status_code == 200
    assert response.json() == {"case_reference": case.reference, "status": "resolved", "outcome": "stale"}
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert not CaseEvent.objects.filter(case=case, message="Which side of the road?").exists()
    assert StatusUpdate.objects.get(update_id="HW-3").outcome == UpdateOutcome.STALE


def test_an_invalid_move_is_422_in_the_cases_own_words_and_kept_refused(client, highways):
    _api, key, destination = highways
    case = delivered_case(destination, status="resolved")
    body = {"update_id": "HW-5", "status": "awaiting_resident", "public_message": "Tell us more"}
    response = post(client, updates_url(case), key, body)
    assert response.status_code == 422
    message = "A case that is resolved cannot be moved to awaiting resident"
    assert response.json() == {"errors": [{"field": "status", "message": message}]}
    row = StatusUpdate.objects.get()
    assert row.outcome == UpdateOutcome.REFUSED and message in row.detail
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert not CaseEvent.objects.filter(case=case, message="Tell us more").exists()
    # Sent again, it is refused the same way (and still not applied).
    assert post(client, updates_url(case), key, body).json() == response.json()
    assert ApiKeyUse.objects.filter(status_code=422).count() == 2


def test_closing_without_a_message_is_422_on_public_message(client, highways):
    _api, key, destination = highways
    case = delivered_case(destination, status="in_progress")
    response = post(client, updates_url(case), key, {"update_id": "HW-6", "status": "resolved"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "public_message"
    assert error["message"] == "Enter a public message telling the resident why the case is now resolved"


def test_an_update_by_the_back_offices_own_id(client, highways):
    _api, key, destination = highways
    case = delivered_case(destination, remote_id="CONFIRM-881", status="in_progress")
    response = post(
        client,
        remote_url("CONFIRM-881"),
        key,
        {"update_id": "HW-7", "status": "FIXED", "public_message": "The pothole is filled."},
    )
    assert response.status_code == 200
    assert response.json() == {"case_reference": case.reference, "status": "resolved", "outcome": "applied"}
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.outcome == "The pothole is filled."
    assert (
        post(client, remote_url("CONFIRM-999"), key, {"update_id": "x", "status": "open"}).status_code == 404
    )


def test_open311_and_fixmystreet_statuses_are_understood(client, highways):
    _api, key, destination = highways
    received = delivered_case(destination)
    # "open" starts work on a case just received, and leaves one being worked as it is.
    assert post(client, updates_url(received), key, {"update_id": "a", "status": "open"}).json()[
        "status"
    ] == ("in_progress")
    response = post(client, updates_url(received), key, {"update_id": "b", "status": "Open"})
    assert response.json() == {
        "case_reference": received.reference,
        "status": "in_progress",
        "outcome": "applied",
    }
    assert (
        CaseEvent.objects.filter(case=received, type=EventType.STATUS_CHANGE, status_to="in_progress").count()
        == 1
    )
    for update_id, status in (("c", "action_scheduled"), ("d", "INVESTIGATING")):
        response = post(client, updates_url(received), key, {"update_id": update_id, "status": status})
        assert response.json()["status"] == "in_progress"
    rejected = post(
        client,
        updates_url(received),
        key,
        {
            "update_id": "e",
            "status": "NOT_COUNCILS_RESPONSIBILITY",
            "public_message": "This is a private road.",
        },
    )
    assert rejected.json()["status"] == "rejected"


def test_the_get_shows_the_expected_date_once_set(client, highways):
    _api, key, destination = highways
    case = delivered_case(destination, status="in_progress")
    post(client, updates_url(case), key, {"update_id": "d1", "expected_date": "2027-01-12"})
    assert get(client, case_url(case), key).json()["expected_date"] == "2027-01-12"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "body"),
        ("[1, 2]", "body"),
        ({"status": "in_progress"}, "update_id"),
        ({"update_id": "  ", "status": "in_progress"}, "update_id"),
        ({"update_id": "x" * 121, "status": "in_progress"}, "update_id"),
        ({"update_id": "1", "status": "half_done"}, "status"),
        ({"update_id": "1", "status": 3}, "status"),
        ({"update_id": "1", "expected_date": "12/01/2027"}, "expected_date"),
        ({"update_id": "1", "status": "in_progress", "updated_at": "yesterday"}, "updated_at"),
        ({"update_id": "1", "status": "in_progress", "colour": "red"}, "colour"),
        ({"update_id": "1"}, "body"),
    ],
)
def test_bad_bodies_are_400_with_the_field(client, highways, body, field):
    _api, key, destination = highways
    case = delivered_case(destination)
    response = post(client, updates_url(case), key, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in [e["field"] for e in errors]
    assert all(e["message"] for e in errors)
    assert not StatusUpdate.objects.exists()
    assert ApiKeyUse.objects.get().status_code == 400


def test_a_body_over_64_kb_is_413(client, highways):
    _api, key, destination = highways
    case = delivered_case(destination)
    body = {"update_id": "big", "public_message": "x" * (65 * 1024)}
    response = post(client, updates_url(case), key, body)
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "too_large"
    assert ApiKeyUse.objects.get().status_code == 413


def test_the_wrong_method_is_405(client, highways):
    _api, key, destination = highways
    case = delivered_case(destination)
    response = get(client, updates_url(case), key)
    assert response.status_code == 405 and response["Allow"] == "POST"
    response = post(client, case_url(case), key, {"update_id": "1"})
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert list(ApiKeyUse.objects.values_list("status_code", flat=True)) == [405, 405]
    assert client.put(updates_url(case)).status_code == 401  # no key: nothing to say about methods


def test_no_csrf_token_is_needed(highways):
    from django.test import Client

    _api, key, destination = highways
    case = delivered_case(destination, status="in_progress")
    strict = Client(enforce_csrf_checks=True)
    response = post(strict, updates_url(case), key, {"update_id": "c1", "public_message": "Hello"})
    assert response.status_code == 200


# The service directly


def test_status_update_apply_refuses_an_unknown_status_and_keeps_it(highways):
    _api, _key, destination = highways
    case = delivered_case(destination)
    with pytest.raises(StatusUpdateRefused) as refused:
        status_update_apply(source="test", update_id="u1", case=case, status="exploded", by_label="Test")
    assert refused.value.field == "status"
    assert StatusUpdate.objects.get().outcome == UpdateOutcome.REFUSED


# Races (PostgreSQL only: SQLite serialises every write)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL for a real race")
def test_the_same_update_twice_at_the_same_moment_is_applied_once():
    api, _key, destination = back_office()
    case = delivered_case(destination, status="in_progress")
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def send():
        try:
            barrier.wait(timeout=10)
            row = status_update_apply(
                source=f"client:{api.pk}",
                update_id="race-1",
                case=case,
                public_message="Only once, please.",
                by_label=api.name,
            )
            outcomes.append(row.outcome)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(outcomes) == ["applied", "duplicate", "duplicate", "duplicate"]
    messages = CaseEvent.objects.filter(case=case, message="Only once, please.")
    assert messages.count() == 1
    assert Notification.objects.filter(case_event__in=messages).count() == 1


# Review fixes


def test_an_update_id_already_used_for_another_case_is_409_not_a_duplicate(client, highways):
    _api, key, destination = highways
    first = delivered_case(destination, status="in_progress")
    other = delivered_case(destination, status="in_progress")
    assert (
        post(client, updates_url(first), key, {"update_id": "HW-9", "public_message": "Booked."}).json()[
            "outcome"
        ]
        == "applied"
    )
    response = post(client, updates_url(other), key, {"update_id": "HW-9", "public_message": "Parts due."})
    assert response.status_code == 409
    (error,) = response.json()["errors"]
    assert error["field"] == "update_id" and "already used for an update to another case" in error["message"]
    assert not CaseEvent.objects.filter(case=other, message="Parts due.").exists()
    assert StatusUpdate.objects.count() == 1
    assert ApiKeyUse.objects.order_by("at", "pk").last().status_code == 409


def test_json_nested_too_deep_is_400_not_an_error(client, highways):
    _api, key, destination = highways
    case = delivered_case(destination)
    response = post(client, updates_url(case), key, "[" * 60000)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


def test_made_up_keys_are_limited_by_address_before_the_key_is_read_and_audited_once(
    client, highways, settings
):
    settings.BACK_OFFICE_API_BAD_KEYS_PER_MINUTE = 3
    _api, key, destination = highways
    case = delivered_case(destination)
    for n in range(3):
        assert get(client, case_url(case), f"cpk_guess_{n}").status_code == 401
    refused = get(client, case_url(case), "cpk_guess_4")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["errors"][0]["code"] == "rate_limited"
    # The address is refused before any key is looked up: a good key from it waits too.
    assert get(client, case_url(case), key).status_code == 429
    # Four calls with unknown keys: one row in the audit.
    assert ApiKeyUse.objects.filter(client__isnull=True).count() == 1


def test_a_case_not_yet_delivered_to_the_back_office_is_not_found(client, highways):
    _api, key, destination = highways
    case = delivered_case(destination, remote_id="HW-PENDING")
    Delivery.objects.filter(case=case).update(status=DeliveryStatus.RETRYING)
    assert get(client, case_url(case), key).status_code == 404
    body = {"update_id": "p1", "status": "in_progress"}
    assert post(client, updates_url(case), key, body).status_code == 404
    assert post(client, remote_url("HW-PENDING"), key, body).status_code == 404
    # Once it has arrived (even if resent since), it is theirs.
    Delivery.objects.filter(case=case).update(delivered_at=case.created_at)
    assert get(client, case_url(case), key).status_code == 200
    assert post(client, remote_url("HW-PENDING"), key, body).status_code == 200
