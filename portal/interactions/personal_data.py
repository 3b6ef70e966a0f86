"""Events linked to a resident's account: exported to them, and unlinked when the account is deleted."""

from portal.lib.personal_data import register

from .models import Interaction, SatisfactionComment

_INTERNAL_EXTRAS = {"synthetic"}


def _export(user) -> list[dict]:
    return [
        {
            "when": row["occurred_at"],
            "what": row["type"],
            "channel": row["channel"],
            "service_code": row["service_code"],
            "page": row["path"],
            "form_or_case": row["journey"] or row["case_reference"],
            "step": row["step"],
            "outcome": row["outcome"],
            "details": {k: v for k, v in (row["extras"] or {}).items() if k not in _INTERNAL_EXTRAS},
        }
        for row in Interaction.objects.filter(user=user)
        .order_by("occurred_at", "pk")
        .values(
            "occurred_at",
            "type",
            "channel",
            "service_code",
            "path",
            "journey",
            "case_reference",
            "step",
            "outcome",
            "extras",
        )
        .iterator()
    ]


def _erase(user) -> None:
    """Events stay for the service measures, with nothing that leads back to the person."""
    events = Interaction.objects.filter(user=user)
    for event in events.filter(extras__has_key="notes").only("pk", "extras"):
        extras = dict(event.extras)
        extras.pop("notes", None)
        Interaction.objects.filter(pk=event.pk).update(extras=extras)
    # The pseudonymous person key and the daily visitor key stay (the measures read them;
    # the key's link to the person was the account, and a visitor key's salt is forgotten
    # after two days); references and addresses that could lead back to the person go.
    events.update(user=None, session_key="", case_reference="", path="")


def _reassign(source, target) -> None:
    """The events now belong to the account, but keep the person key they were recorded
    under: history does not move, so the measures read from them stay the same."""
    Interaction.objects.filter(user=source).update(user=target)


register(
    name="activity",
    label="Your visits to our website and contacts with us, while signed in or recorded by our staff",
    export=_export,
    erase=_erase,
    kept="Records of your visits and contacts with us are kept without your name, for up to "
    "{interaction_retention_months} months, to measure how well our services work.",
    reassign=_reassign,
    order=60,
)


def _satisfaction_export(user) -> list[dict]:
    return [
        {
            "when": comment.created_at,
            "request": comment.case_reference,
            "service_code": comment.service_code,
            "channel": comment.channel,
            "how_satisfied": comment.get_score_display(),
            "comment": comment.comment,
        }
        for comment in SatisfactionComment.objects.filter(user=user).order_by("created_at", "pk")
    ]


def _satisfaction_erase(user) -> None:
    """The score stays in the measures (an event with no link to the person); the words go."""
    SatisfactionComment.objects.filter(user=user).delete()


def _satisfaction_reassign(source, target) -> None:
    SatisfactionComment.objects.filter(user=source).update(user=target)


register(
    name="satisfaction_comments",
    label="Your comments on how satisfied you were with the outcome of your requests",
    export=_satisfaction_export,
    erase=_satisfaction_erase,
    deleted="Your comments on the outcome of your requests are deleted.",
    reassign=_satisfaction_reassign,
    order=61,
)
