"""Sign-in codes and reset links reach the person but are never kept in the email outbox."""

import re
import socket

import pytest

from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from portal.notifications import services
from portal.notifications.constants import NotificationStatus
from portal.notifications.models import Notification
from portal.notifications.services import notification_deliver
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _stored_values(notification: Notification) -> list[str]:
    """Every column of the outbox row, as text."""
    notification.refresh_from_db()
    return [str(getattr(notification, field.attname)) for field in Notification._meta.concrete_fields]


def _assert_not_kept(secret: str) -> None:
    assert Notification.objects.exists()
    for notification in Notification.objects.all():
        for value in _stored_values(notification):
            assert secret not in value
        assert cache.get(services._unredacted_key(notification.pk)) is None


def _login_code(message) -> str:
    return re.search(r"^\s*([A-Z0-9]{4,}-?[A-Z0-9]*)\s*$", message.body, re.MULTILINE).group(1)


def test_a_password_reset_link_is_emailed_but_not_kept(web):
    user = UserFactory()
    web.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/key/(\S+)/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    notification = Notification.objects.get(to=user.email)
    assert notification.status == NotificationStatus.DELIVERED
    assert notification.redacted
    assert "[redacted password reset link]" in notification.body_text
    _assert_not_kept(link.group(0))
    _assert_not_kept(link.group(1))
    _assert_not_kept(link.group(1).rsplit("-", 1)[-1])

    # The link the person got still works.
    response = web.get("/" + link.group(0).split("://", 1)[1].split("/", 1)[1])
    assert response.status_code == 302
    new_password = "another-long-passphrase-77"
    response = web.post(response["Location"], {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_a_sign_in_code_is_emailed_but_not_kept(web):
    user = UserFactory()
    web.post(reverse("account_request_login_code"), {"email": user.email})
    code = _login_code(mail.outbox[-1])
    notification = Notification.objects.get(to=user.email)
    assert notification.status == NotificationStatus.DELIVERED
    assert "[redacted code]" in notification.body_text
    _assert_not_kept(code)

    response = web.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert web.session["_auth_user_id"] == str(user.pk)


def test_an_email_verification_code_is_emailed_but_not_kept(web, password):
    web.post(
        reverse("account_signup"),
        {"full_name": "Sam Smith", "email": "sam@example.org", "password1": password, "password2": password},
    )
    code = _login_code(mail.outbox[-1])
    assert "[redacted code]" in Notification.objects.get(to="sam@example.org").body_text
    _assert_not_kept(code)
    response = web.post(reverse("account_email_verification_sent"), {"code": code})
    assert response.status_code == 302


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_code_whose_first_attempt_fails_is_still_sent_by_the_retry(web, monkeypatch):
    """The real email is held outside the outbox until sent, so a retry (after a failure, or
    a worker killed mid-send) still sends the code, and the outbox never held it."""
    user = UserFactory()
    monkeypatch.setattr(services, "_enqueue_delivery", lambda *args, **kwargs: None)
    smtp_down = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _closed_port(), "timeout": 2},
        }
    }
    with override_settings(MAILERS=smtp_down):
        web.post(reverse("account_request_login_code"), {"email": user.email})
        notification = Notification.objects.get(to=user.email)
        notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.TEMPORARY_FAILURE
    assert mail.outbox == []

    notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED
    code = _login_code(mail.outbox[-1])
    _assert_not_kept(code)
    response = web.post(reverse("account_confirm_login_code"), {"code": code})
    assert web.session["_auth_user_id"] == str(user.pk), response


def test_a_code_not_sent_in_time_fails_rather_than_send_a_stale_one(web, monkeypatch):
    user = UserFactory()
    monkeypatch.setattr(services, "_enqueue_delivery", lambda *args, **kwargs: None)
    web.post(reverse("account_request_login_code"), {"email": user.email})
    notification = Notification.objects.get(to=user.email)
    cache.delete(services._unredacted_key(notification.pk))  # NOTIFICATIONS_SECRET_TTL_SECONDS passed

    notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.TECHNICAL_FAILURE
    assert "expired before it could be sent" in notification.last_error
    assert mail.outbox == []


def test_emails_without_secrets_are_kept_in_full(web):
    user = UserFactory()
    services.notification_email_send(to=user.email, subject="Your case", body_text="Case BWC-1 is resolved.")
    notification = Notification.objects.get(to=user.email)
    assert notification.body_text == "Case BWC-1 is resolved."
    assert not notification.redacted
