"""Another resident gets 404 on every resident case URL: the case, its messages and its files."""

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.cases.constants import CaseStatus
from portal.cases.services import case_message_send
from tests.accounts.factories import UserFactory
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_case():
    owner = UserFactory()
    case = case_make(resident=owner, status="awaiting_resident")
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")
    upload.checked_content_type, upload.checked_extension = "application/pdf", "pdf"
    case_message_send(case=case, user=owner, message="Owner's words", files=[upload])
    return case


def _urls(case):
    ref = {"reference": case.reference}
    return [
        ("get", reverse("cases:detail", kwargs=ref)),
        ("post", reverse("cases:message", kwargs=ref)),
        ("get", reverse("cases:withdraw", kwargs=ref)),
        ("post", reverse("cases:withdraw", kwargs=ref)),
        ("get", reverse("cases:reopen", kwargs=ref)),
        ("post", reverse("cases:reopen", kwargs=ref)),
        ("get", reverse("cases:attachment", kwargs={**ref, "pk": case.attachments.get().pk})),
    ]


def test_another_resident_gets_404_everywhere(client, a_case):
    client.force_login(UserFactory())
    for method, url in _urls(a_case):
        response = getattr(client, method)(url, {"message": "Hijack", "reason": "Hijack"})
        assert response.status_code == 404, url
    a_case.refresh_from_db()
    assert a_case.status == CaseStatus.IN_PROGRESS  # the owner's reply moved it; nobody else did
    assert not a_case.events.filter(message="Hijack").exists()
    assert a_case.reference not in client.get(reverse("cases:list")).text
    assert a_case.reference not in client.get(reverse("my_account")).text


def test_signed_out_visitors_are_sent_to_sign_in(client, a_case):
    for method, url in _urls(a_case):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_staff_cannot_use_the_resident_pages_for_a_case_that_is_not_theirs(client, a_case):
    from tests.portal.cases.factories import staff_in

    client.force_login(staff_in("Service managers"))
    assert client.get(reverse("cases:detail", kwargs={"reference": a_case.reference})).status_code == 404


def test_the_tracking_link_does_not_find_cases_by_reference(client, a_case):
    assert client.get(f"/track/{a_case.reference}/").status_code == 404
