"""Service alerts residents subscribe to: subscribing (public and in My account), the
confirmation link, which subscriptions an alert goes to, exactly once per subscription when
an editor publishes it, unsubscribing in one click (and RFC 8058), and STOP."""

import re
from datetime import timedelta
from unittest import mock

import pytest

from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from cms import services
from cms.constants import AlertChannel, AlertDeliveryOutcome, AlertSubscriptionEnd
from cms.models import (
    Alert,
    AlertDelivery,
    AlertSending,
    AlertSubscription,
    postcode_district,
    postcode_districts_normalise,
)
from portal.notifications.constants import NotificationChannel
from portal.notifications.models import Notification
from portal.notifications.services import sms_opt_out, sms_stopped
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/alerts/subscribe/"
MINE = "/my-account/alerts/"


def _publish(alert: Alert, capture) -> Alert:
    """Publish as an editor does: a revision, then publish (Wagtail's ``published`` signal)."""
    with capture(execute=True):
        alert.save_revision().publish()
    alert.refresh_from_db()
    return alert


def _alert(capture, *, areas: str = "", **fields) -> Alert:
    alert = Alert(
        title=fields.pop("title", "Bin collections delayed"),
        message="<p>Up to two days late.</p>",
        summary=fields.pop("summary", "Collections are up to two days late. Leave your bins out."),
        areas=areas,
        live=False,
        **fields,
    )
    alert.save()
    return _publish(alert, capture)


def _subscribed(channel=AlertChannel.EMAIL, address="sam@example.org", area="") -> AlertSubscription:
    """A confirmed subscription, as after following the link."""
    subscription = services.alert_subscribe(
        channel=channel,
        email=address if channel == AlertChannel.EMAIL else "",
        phone=address if channel == AlertChannel.SMS else "",
        area=area,
    )
    subscription.confirmed_at = timezone.now() - timedelta(minutes=1)
    subscription.save(update_fields=["confirmed_at"])
    return subscription


def _alert_messages() -> list[Notification]:
    return list(Notification.objects.filter(template="cms/alert").order_by("created_at"))


def _link(text: str, kind: str) -> str:
    match = re.search(rf"https?://[^\s]+(/alerts/{kind}/[^/\s]+/)", text)
    assert match, text
    return match.group(1)


# --- Areas ---------------------------------------------------------------------------------


def test_areas_are_postcode_districts_normalised():
    assert postcode_districts_normalise(" ls6 ls7,LS6;sw1a ") == "LS6, LS7, SW1A"
    assert postcode_districts_normalise("") == ""
    with pytest.raises(ValidationError, match="Not a district: LS6 2AB|Not a district: 2AB"):
        postcode_districts_normalise("LS6 2AB")
    with pytest.raises(ValidationError, match="Not a district: nowhere"):
        postcode_districts_normalise("LS6, nowhere")
    assert [postcode_district(v) for v in ("ls6 2ab", "LS62AB", "ls6", "SW1A 1AA", "x", "")] == [
        "LS6",
        "LS6",
        "LS6",
        "SW1A",
        "",
        "",
    ]


def test_an_alerts_areas_are_checked_and_normalised_when_saved_by_an_editor():
    alert = Alert(title="Road closed", message="<p>x</p>", summary="x", areas="ls6,ls7 ls6")
    alert.full_clean()
    assert alert.areas == "LS6, LS7"
    alert.areas = "Leeds"
    with pytest.raises(ValidationError) as error:
        alert.full_clean()
    assert "areas" in error.value.message_dict


# --- Subscribing ---------------------------------------------------------------------------


def test_the_public_form_says_what_is_missing_and_keeps_what_was_typed(client):
    page = client.get(SUBSCRIBE)
    assert page.status_code == 200
    assert "Get alerts about council services" in page.text

    empty = client.post(SUBSCRIBE, {})
    assert empty.status_code == 200
    assert "There is a problem" in empty.text
    assert "Choose how you want to get alerts: email or text message" in empty.text
    assert "Choose alerts for your area or for all of the council area" in empty.text
    assert 'href="#id_channel"' in empty.text and 'id="id_channel"' in empty.text

    wrong = client.post(
        SUBSCRIBE, {"channel": "email", "email": "sam-at-example", "where": "area", "postcode": "QQ"}
    )
    assert "Enter an email address in the correct format, like name@example.com" in wrong.text
    assert "Enter a full UK postcode, like LS6 2AB" in wrong.text
    assert 'value="sam-at-example"' in wrong.text and 'value="QQ"' in wrong.text
    assert "<title>Error:" in wrong.text

    text = client.post(
        SUBSCRIBE, {"channel": "sms", "phone": "01632 960 001", "where": "area", "postcode": ""}
    )
    assert "Enter a UK mobile number, like 07700 900 982, to get text messages" in text.text
    assert "Enter your postcode, or choose all of the council area" in text.text
    assert 'value="01632 960 001"' in text.text
    assert not AlertSubscription.objects.exists()


def test_an_email_subscription_without_an_account_starts_when_its_link_is_followed(web):
    response = web.post(
        SUBSCRIBE, {"channel": "email", "email": "Sam@Example.org", "where": "area", "postcode": "ls6 2ab"}
    )
    assert response.status_code == 302 and response["Location"] == "/alerts/subscribe/check/?by=email"
    assert "Check your email" in web.get(response["Location"]).text
    subscription = AlertSubscription.objects.get()
    assert (subscription.email, subscription.area, subscription.user) == ("sam@example.org", "LS6", None)
    assert subscription.confirmed_at is None
    assert subscription.confirm_token_hash and subscription.unsubscribe_token_hash

    (email,) = mail.outbox
    assert email.to == ["sam@example.org"]
    link = _link(email.body, "confirm")
    assert link.split("/")[-2] not in subscription.confirm_token_hash  # only its hash is kept

    page = web.get(link)  # a mail scanner opening the link starts nothing
    assert page.status_code == 200 and "Start my alerts" in page.text
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None

    confirmed = web.post(link)
    assert confirmed.status_code == 200 and "Your alerts have started" in confirmed.text
    subscription.refresh_from_db()
    assert subscription.is_active
    assert web.post(link).status_code == 404  # used once


def test_a_text_subscription_gets_its_link_by_text(web, fake_notify, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        web.post(SUBSCRIBE, {"channel": "sms", "phone": "+44 7700 900123", "where": "all"})
    subscription = AlertSubscription.objects.get()
    assert (subscription.phone, subscription.area) == ("07700900123", "")
    (text,) = Notification.objects.filter(template="cms/alert_subscription_confirm")
    assert text.channel == NotificationChannel.SMS and text.to == "07700900123"
    assert "/alerts/confirm/" not in text.body_text  # the outbox keeps no working link
    web.post(_link(fake_notify.sent[-1].json["personalisation"]["body"], "confirm"))
    subscription.refresh_from_db()
    assert subscription.is_active


def test_a_confirmation_link_expires_after_7_days(web):
    web.post(SUBSCRIBE, {"channel": "email", "email": "sam@example.org", "where": "all"})
    link = _link(mail.outbox[0].body, "confirm")
    AlertSubscription.objects.update(created_at=timezone.now() - timedelta(days=8))
    response = web.post(link)
    assert response.status_code == 404 and "This link does not work" in response.text
    assert AlertSubscription.objects.get().confirmed_at is None


def test_asking_again_makes_no_second_subscription_and_says_the_same(web):
    data = {"channel": "email", "email": "sam@example.org", "where": "area", "postcode": "LS6 1AA"}
    web.post(SUBSCRIBE, data)
    web.post(_link(mail.outbox[0].body, "confirm"))
    again = web.post(SUBSCRIBE, data)
    assert again["Location"] == "/alerts/subscribe/check/?by=email"  # nothing says it exists
    assert AlertSubscription.objects.count() == 1
    assert len(mail.outbox) == 1  # a confirmed subscription gets no new link


def test_a_signed_in_resident_gets_the_form_filled_in_and_alerts_start_at_once(web):
    resident = UserFactory(email="sam@example.org", phone="07700900123", postcode="LS6 2AB")
    web.force_login(resident)
    assert web.get(SUBSCRIBE)["Location"] == MINE
    page = web.get(MINE)
    assert page.status_code == 200
    assert 'value="LS6 2AB"' in page.text and 'value="sam@example.org"' in page.text
    assert 'value="07700900123"' in page.text
    assert "You do not get any alerts" in page.text

    response = web.post(
        MINE, {"channel": "sms", "phone": "07700 900123", "where": "area", "postcode": "LS6 2AB"}
    )
    assert response.status_code == 302
    subscription = AlertSubscription.objects.get()
    assert subscription.user == resident and subscription.is_active and subscription.area == "LS6"
    assert not Notification.objects.exists()  # their own number: no link needed
    listed = web.get(MINE).text
    assert "You will get alerts for LS6 by text message" in listed
    assert "By text message to 07700900123" in listed

    # Another address is checked with a link first, as for anyone.
    web.post(MINE, {"channel": "email", "email": "someone@example.org", "where": "all"})
    other = AlertSubscription.objects.get(email="someone@example.org")
    assert other.user == resident and other.confirmed_at is None
    assert "Waiting for you to follow the link we sent" in web.get(MINE).text

    # Stop one: a page to confirm, then it ends.
    cancel = f"{MINE}{subscription.pk}/stop/"
    assert "Stop these alerts?" in web.get(cancel).text
    web.post(cancel)
    subscription.refresh_from_db()
    assert subscription.ended_reason == AlertSubscriptionEnd.CANCELLED


def test_a_resident_cannot_see_or_stop_someone_elses_subscription(client):
    owner = UserFactory(email="owner@example.org")
    theirs = services.alert_subscribe(channel="email", email=owner.email, user=owner)
    client.force_login(UserFactory())
    url = f"{MINE}{theirs.pk}/stop/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.ended_at is None
    assert "owner@example.org" not in client.get(MINE).text


def test_a_signed_in_resident_takes_over_their_own_pending_subscription():
    resident = UserFactory(email="sam@example.org")
    pending = services.alert_subscribe(channel="email", email="sam@example.org", area="LS6")
    assert pending.confirmed_at is None
    taken = services.alert_subscribe(channel="email", email="SAM@example.org", area="LS6 2AB", user=resident)
    assert taken.pk == pending.pk and taken.user == resident and taken.confirmed_at is not None


# --- Sending: who gets an alert, and only once ---------------------------------------------


def test_an_alert_goes_to_its_districts_and_to_everyone_who_wants_every_alert(
    django_capture_on_commit_callbacks,
):
    ls6 = _subscribed(area="LS6")
    ls7 = _subscribed(AlertChannel.SMS, "07700900123", area="LS7")
    everything = _subscribed(address="all@example.org")
    ls8 = _subscribed(address="ls8@example.org", area="LS8")
    services.alert_subscribe(channel="email", email="pending@example.org", area="LS6")  # never confirmed
    ended = _subscribed(address="ended@example.org", area="LS6")
    services.alert_subscription_end(subscription=ended, reason=AlertSubscriptionEnd.UNSUBSCRIBED)

    alert = _alert(django_capture_on_commit_callbacks, areas="LS6, LS7")
    delivered = set(AlertDelivery.objects.filter(alert=alert).values_list("subscription_id", flat=True))
    assert delivered == {ls6.pk, ls7.pk, everything.pk}
    assert AlertSending.objects.get(alert=alert).finished_at is not None

    everywhere = _alert(django_capture_on_commit_callbacks, title="Council offices closed")
    delivered = set(AlertDelivery.objects.filter(alert=everywhere).values_list("subscription_id", flat=True))
    assert delivered == {ls6.pk, ls7.pk, everything.pk, ls8.pk}


def test_the_messages_carry_the_alert_and_a_working_unsubscribe_link(
    fake_notify, django_capture_on_commit_callbacks
):
    _subscribed(area="LS6")
    _subscribed(AlertChannel.SMS, "07700900123", area="LS6")
    _alert(django_capture_on_commit_callbacks, areas="LS6")
    email, text = sorted(_alert_messages(), key=lambda n: n.channel)
    assert email.channel == NotificationChannel.EMAIL and email.to == "sam@example.org"
    assert email.subject.endswith("alert: Bin collections delayed")
    assert "Collections are up to two days late." in email.body_text and "Areas: LS6" in email.body_text
    assert text.channel == NotificationChannel.SMS and text.to == "07700900123"
    assert "Bin collections delayed. Collections are up to two days late." in text.body_text
    assert "reply STOP" in text.body_text
    # The outbox keeps no working link; the person gets one.
    assert "/alerts/unsubscribe/" not in email.body_text + text.body_text
    bodies = {sent.json["personalisation"]["body"] for sent in fake_notify.sent}
    links = {_link(body, "unsubscribe") for body in bodies}
    assert len(links) == 2
    for link in links:
        assert Client().get(link).status_code == 200


def test_publishing_again_sends_nothing_new(django_capture_on_commit_callbacks):
    first = _subscribed(area="LS6")
    alert = _alert(django_capture_on_commit_callbacks, areas="LS6")
    assert len(_alert_messages()) == 1

    late = _subscribed(address="late@example.org", area="LS6")  # subscribed after it went out
    alert.summary = "Corrected: collections are three days late."
    alert.areas = "LS6, LS7"
    _publish(alert, django_capture_on_commit_callbacks)
    _publish(alert, django_capture_on_commit_callbacks)
    assert len(_alert_messages()) == 1
    assert list(AlertDelivery.objects.values_list("subscription_id", flat=True)) == [first.pk]
    assert late.deliveries.count() == 0
    assert Alert.objects.active().get() == alert  # the correction is on the website


def test_a_second_run_or_a_run_at_the_same_time_sends_nothing_twice(django_capture_on_commit_callbacks):
    subscriptions = [_subscribed(address=f"r{n}@example.org") for n in range(5)]
    alert = _alert(django_capture_on_commit_callbacks)
    assert len(_alert_messages()) == 5
    AlertSending.objects.filter(alert=alert).update(finished_at=None)  # as if a run was still going
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alert_send(alert_id=alert.pk)["sent"] == 0
    assert len(_alert_messages()) == 5

    # Another run got to one subscription first, between this run's query and its insert.
    AlertSending.objects.filter(alert=alert).update(finished_at=None)
    AlertDelivery.objects.filter(subscription=subscriptions[2]).delete()
    Notification.objects.filter(to="r2@example.org").delete()
    real_recipients = services.selectors.alert_recipients

    def recipients_then_the_other_run(*, sending):
        found = list(real_recipients(sending=sending))
        if found:
            AlertDelivery.objects.get_or_create(
                alert=alert, subscription=subscriptions[2], defaults={"outcome": AlertDeliveryOutcome.QUEUED}
            )
        return found

    with mock.patch.object(services.selectors, "alert_recipients", side_effect=recipients_then_the_other_run):
        counts = services.alert_send(alert_id=alert.pk, max_batches=1)
    assert counts["skipped"] == 1 and counts["sent"] == 0
    assert AlertDelivery.objects.filter(alert=alert).count() == 5


def test_a_run_that_stops_part_way_is_resumed_without_duplicates(django_capture_on_commit_callbacks):
    for n in range(5):
        _subscribed(address=f"r{n}@example.org")
    real_send = services.message_send
    calls = []

    def crash_on_the_third(**kwargs):
        calls.append(kwargs["email"])
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real_send(**kwargs)

    alert = Alert(title="Road closed", message="<p>x</p>", summary="Road closed", live=False)
    alert.save()
    crashing = mock.patch.object(services, "message_send", side_effect=crash_on_the_third)
    with crashing, django_capture_on_commit_callbacks(execute=True):
        alert.save_revision().publish()  # the task fails part way (logged by the backend)
    assert AlertDelivery.objects.count() == 2  # the third rolled back with its outbox row
    assert len(_alert_messages()) == 2
    assert AlertSending.objects.get().finished_at is None

    with django_capture_on_commit_callbacks(execute=True):
        counts = services.alert_send(alert_id=alert.pk, batch_size=2)
    assert counts["sent"] == 3
    assert sorted(n.to for n in _alert_messages()) == [f"r{n}@example.org" for n in range(5)]
    assert AlertSending.objects.get().finished_at is not None


def test_sending_goes_in_batches_and_queues_itself_again(django_capture_on_commit_callbacks):
    for n in range(5):
        _subscribed(address=f"r{n}@example.org")
    alert = Alert(title="Road closed", message="<p>x</p>", summary="Road closed", live=True)
    alert.save()
    AlertSending.objects.create(alert=alert)
    with mock.patch.object(services, "_alert_send_enqueue") as enqueue:
        counts = services.alert_send(alert_id=alert.pk, batch_size=2, max_batches=2)
    assert counts["sent"] == 4 and counts["more"] == 1
    enqueue.assert_called_once_with(alert.pk)
    counts = services.alert_send(alert_id=alert.pk, batch_size=2, max_batches=2)
    assert counts["sent"] == 1 and not counts["more"]


def test_a_draft_an_unpublished_or_an_ended_alert_is_not_sent(django_capture_on_commit_callbacks):
    _subscribed()
    draft = Alert(title="Draft", message="<p>x</p>", summary="x", live=False)
    draft.save()
    with django_capture_on_commit_callbacks(execute=True):
        draft.save_revision()
    assert not Alert.objects.active().filter(pk=draft.pk).exists()  # not on the website either
    past = timezone.now() - timedelta(days=2)
    _alert(
        django_capture_on_commit_callbacks, title="Over", starts_at=past, ends_at=past + timedelta(hours=1)
    )
    assert not _alert_messages()

    # Unpublished while it is being sent: the rest are not sent.
    alert = _alert(django_capture_on_commit_callbacks, title="Going out")
    assert len(_alert_messages()) == 1
    _subscribed(address="later@example.org")
    AlertSending.objects.filter(alert=alert).update(finished_at=None, started_at=timezone.now())
    alert.unpublish()
    assert services.alert_send(alert_id=alert.pk)["sent"] == 0


def test_a_number_that_replied_stop_is_not_texted_and_the_delivery_says_so(
    django_capture_on_commit_callbacks,
):
    subscription = _subscribed(AlertChannel.SMS, "07700900123")
    sms_opt_out(phone="07700900123")
    _alert(django_capture_on_commit_callbacks)
    delivery = subscription.deliveries.get()
    assert delivery.outcome == AlertDeliveryOutcome.UNREACHABLE and delivery.notification is None


def test_a_text_alert_goes_through_notify(fake_notify, django_capture_on_commit_callbacks):
    _subscribed(AlertChannel.SMS, "07700900123", area="LS6")
    _alert(django_capture_on_commit_callbacks, areas="LS6")
    (sent,) = fake_notify.sent
    assert sent.path == "/v2/notifications/sms"
    assert sent.json["phone_number"] == "07700900123"
    body = sent.json["personalisation"]["body"]
    assert "Bin collections delayed. Collections are up to two days late." in body
    assert "/alerts/unsubscribe/" in body


# --- Unsubscribing ---------------------------------------------------------------------------


def _unsubscribe_link(capture) -> tuple[AlertSubscription, str]:
    subscription = _subscribed(area="LS6")
    _alert(capture, areas="LS6")
    return subscription, _link(mail.outbox[-1].body, "unsubscribe")


def test_unsubscribing_from_a_link_asks_first_without_javascript(django_capture_on_commit_callbacks):
    subscription, link = _unsubscribe_link(django_capture_on_commit_callbacks)
    client = Client(enforce_csrf_checks=True)
    page = client.get(link)
    assert page.status_code == 200 and "Stop these alerts" in page.text and 'method="post"' in page.text
    subscription.refresh_from_db()
    assert subscription.ended_at is None

    done = client.post(link)
    assert done.status_code == 200 and "You have stopped these alerts" in done.text
    subscription.refresh_from_db()
    assert subscription.ended_reason == AlertSubscriptionEnd.UNSUBSCRIBED
    assert client.post(link).status_code == 200  # twice is not an error
    assert "You have stopped these alerts" in client.get(link).text


def test_a_mail_programs_one_click_unsubscribe_works(django_capture_on_commit_callbacks):
    subscription, link = _unsubscribe_link(django_capture_on_commit_callbacks)
    response = Client(enforce_csrf_checks=True).post(
        link, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.ended_at is not None


def test_a_wrong_link_is_404(client):
    for url in ("/alerts/unsubscribe/not-a-token/", "/alerts/confirm/not-a-token/"):
        response = client.post(url)
        assert response.status_code == 404 and "This link does not work" in response.text
    assert client.get("/alerts/unsubscribe/not-a-token/").status_code == 404


def test_stop_ends_every_text_subscription_to_the_number_and_nothing_else():
    both = [
        _subscribed(AlertChannel.SMS, "07700900123", area="LS6"),
        _subscribed(AlertChannel.SMS, "07700900123"),
    ]
    email = _subscribed(address="sam@example.org")
    other_number = _subscribed(AlertChannel.SMS, "07700900999")
    sms_stopped.send(sender=None, phone="447700900123", phone_digits="07700900123")
    for subscription in both:
        subscription.refresh_from_db()
        assert subscription.ended_reason == AlertSubscriptionEnd.STOP
    for subscription in (email, other_number):
        subscription.refresh_from_db()
        assert subscription.ended_at is None


def test_a_stop_text_received_from_notify_ends_the_numbers_text_alerts(django_capture_on_commit_callbacks):
    from portal.notifications.inbound import inbound_text_store

    subscription = _subscribed(AlertChannel.SMS, "07700900123")
    with django_capture_on_commit_callbacks(execute=True):
        inbound_text_store(
            payload={
                "id": "7c1c5a36-0c5e-4f1b-9a5e-2f1f6b7b0001",
                "source_number": "447700900123",
                "destination_number": "07700900000",
                "message": "Stop",
                "date_received": timezone.now().isoformat(),
            }
        )
    subscription.refresh_from_db()
    assert subscription.ended_reason == AlertSubscriptionEnd.STOP
    alert = _alert(django_capture_on_commit_callbacks)
    assert alert.live and _alert_messages() == []


def test_the_housekeeping_resumes_a_sending_whose_task_was_lost(django_capture_on_commit_callbacks):
    _subscribed(address="one@example.org")
    with mock.patch.object(services, "_alert_send_enqueue"):  # the queueing is lost
        alert = _alert(django_capture_on_commit_callbacks)
    assert _alert_messages() == []
    # Too recent to be called lost: nothing queued yet.
    assert services.alert_sendings_resume() == 0
    later = timezone.now() + timedelta(minutes=11)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alert_sendings_resume(now=later) == 1
    assert [m.to for m in _alert_messages()] == ["one@example.org"]
    assert AlertSending.objects.get(alert=alert).finished_at is not None
    assert services.alert_sendings_resume(now=later) == 0


# --- Editors publish in Wagtail --------------------------------------------------------------


def _admin_form(**fields) -> dict:
    from wagtail.test.utils.form_data import rich_text

    return {
        "title": "Road closed",
        "message": rich_text("<p>Otley Road is closed.</p>"),
        "severity": "warning",
        "starts_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "ends_at": "",
        "summary": "",
        "areas": "ls6",
        **fields,
    }


def test_an_editor_saves_a_draft_without_a_summary_but_publishes_only_with_one(web):
    from django.contrib.auth.models import Group

    from tests.accounts.factories import StaffFactory

    _subscribed(area="LS6")
    editor = StaffFactory()
    editor.groups.add(Group.objects.get(name="Editors"))
    web.force_login(editor)
    form = web.get("/admin/snippets/cms/alert/add/").text
    assert "publish a new alert" in form  # the help text says a republish sends nothing

    draft = web.post("/admin/snippets/cms/alert/add/", _admin_form())
    assert draft.status_code == 302
    alert = Alert.objects.get()
    assert not alert.live and alert.areas == "LS6"
    assert not _alert_messages()

    edit = f"/admin/snippets/cms/alert/edit/{alert.pk}/"
    refused = web.post(edit, _admin_form(**{"action-publish": "action-publish"}))
    assert refused.status_code == 200 and "This field is required" in refused.text
    alert.refresh_from_db()
    assert not alert.live

    web.post(
        edit, _admin_form(summary="Otley Road closed until Friday.", **{"action-publish": "action-publish"})
    )
    alert.refresh_from_db()
    assert alert.live
    (sent,) = _alert_messages()
    assert "Otley Road closed until Friday." in sent.body_text


def test_a_residents_subscriptions_are_in_their_data_and_deleted_with_it():
    from portal.lib import personal_data

    resident = UserFactory(phone="07700900123")
    subscription = _subscribed(AlertChannel.SMS, "07700900123", area="LS6")
    subscription.user = resident
    subscription.save(update_fields=["user"])
    _subscribed(address="someone.else@example.org")
    part = {p.name: p for p in personal_data.parts()}["alert_subscriptions"]
    assert part.export(resident) == [
        {
            "by": "Text message",
            "to": "07700900123",
            "area": "LS6",
            "started": subscription.confirmed_at,
            "ended": None,
        }
    ]
    part.erase(resident)
    assert not AlertSubscription.objects.filter(user=resident).exists()
    assert AlertSubscription.objects.count() == 1


def test_my_account_does_not_say_whether_someone_elses_address_is_subscribed(client):
    _subscribed(address="neighbour@example.org")
    resident = UserFactory(email="sam.own@example.org")
    client.force_login(resident)
    response = client.post(
        MINE, {"channel": "email", "email": "neighbour@example.org", "where": "all"}, follow=True
    )
    page = response.content.decode()
    assert "You will get alerts" not in page
    assert "unless it already gets these alerts" in page
    assert not AlertSubscription.objects.filter(user=resident).exists()
