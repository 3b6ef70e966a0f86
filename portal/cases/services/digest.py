"""The daily email to each team of its cases that are overdue or due soon."""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.notifications.models import Notification
from portal.notifications.services import notification_email_send

from ..models import Case, Team
from ..selectors import cases_due_soon_or_overdue


def case_deadline_digest_send(*, today: date | None = None) -> int:
    """Email each team (``Team.email``) its open cases that are overdue or due within 2 working
    days. Returns the number of emails written. Run once a working day (``manage.py cases_daily``).

    Idempotent per day: a team already sent today's list (same template and day) is skipped.
    """
    today = today or timezone.localdate()
    template = f"cases/deadlines/{today.isoformat()}"
    sent = 0
    for team in Team.objects.exclude(email=""):
        if Notification.objects.filter(template=template, to=team.email).exists():
            continue
        cases = list(
            cases_due_soon_or_overdue(Case.objects.filter(team=team), today)
            .select_related("assignee")
            .order_by("due_on", "pk")
        )
        if not cases:
            continue
        # Every case listed has a due date (``cases_due_soon_or_overdue`` filters on it).
        overdue = [c for c in cases if c.due_on is not None and c.due_on < today]
        due_soon = [c for c in cases if c.due_on is not None and c.due_on >= today]
        body = render_to_string(
            "cases/email/deadlines.txt",
            {
                "team": team,
                "overdue": overdue,
                "due_soon": due_soon,
                "today": today,
                "queue_url": settings.SITE_URL + reverse("cases_admin:queue") + f"?team={team.pk}&sort=due",
                "site_url": settings.SITE_URL,
            },
        )
        with transaction.atomic():
            notification_email_send(
                to=team.email,
                subject=f"{team.name}: {len(overdue)} overdue, {len(due_soon)} due within 2 working days",
                body_text=body,
                template=template,
                log_interaction=False,  # to a team, not a resident: not contact
            )
        sent += 1
    return sent
