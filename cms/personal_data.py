"""Alert subscriptions of a resident: part of their data export; deleted with the account."""

from portal.lib.personal_data import register

from .models import AlertSubscription


def _export(user) -> list[dict]:
    return [
        {
            "by": subscription.get_channel_display(),
            "to": subscription.address,
            "area": subscription.area or "Every alert",
            "started": subscription.confirmed_at,
            "ended": subscription.ended_at,
        }
        for subscription in AlertSubscription.objects.filter(user=user).order_by("created_at", "pk")
    ]


def _erase(user) -> None:
    AlertSubscription.objects.filter(user=user).delete()


def _reassign(source, target) -> None:
    """A resident record's subscriptions belong to the account it is added to."""
    AlertSubscription.objects.filter(user=source).update(user=target)


register(
    name="alert_subscriptions",
    label="Alerts you asked us to send you",
    export=_export,
    erase=_erase,
    deleted="Your alert subscriptions end and are deleted.",
    reassign=_reassign,
    order=52,
)
