"""Synthetic interaction events: demo content for the dashboard, and benchmark load.

Only demo data and benchmarks use this; every row is marked ``extras["synthetic"]``.
"""

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.utils import timezone

from .constants import AvoidableCategory, Channel, InteractionType, Outcome
from .models import Interaction

T = InteractionType
DEMO_SERVICES = [524, 528, 557, 474, 587, 57]
_WEIGHTS = [
    (T.PAGE_VIEW, 70),
    (T.SEARCH, 6),
    (T.PAGE_FEEDBACK, 2),
    (T.FORM_START, 5),
    (T.FORM_STEP, 6),
    (T.FORM_ERROR, 3),
    (T.FORM_SUBMIT, 3),
    (T.FORM_ABANDON, 1),
    (T.PAYMENT_RESULT, 1),
    (T.CONTACT_PAGE_VIEW, 1),
    (T.ASSISTED_CONTACT, 2),
    (T.SATISFACTION, 1),
    (T.TRANSACTION, 3),
]
# Outcome answers lean positive, as councils' surveys usually do: 5 very satisfied .. 1 very dissatisfied.
_SCORES = [5] * 30 + [4] * 30 + [3] * 15 + [2] * 13 + [1] * 12
# What residents search for; the second list finds nothing on the demo site (for What to fix).
_QUERIES = ["bin collection", "council tax", "pothole", "bulky waste", "parking permit", "recycling"]
_EMPTY_QUERIES = ["skip hire", "wheelie bin stolen", "dog fouling", "hedge complaint", "garden waste sticker"]
_POPULATION = [kind for kind, weight in _WEIGHTS for _ in range(weight)]


def synthetic_events(
    *,
    total: int,
    first_day: date,
    days: int,
    services=DEMO_SERVICES,
    seed: int = 2026,
    teams: list[int] | None = None,
) -> Iterator[Interaction]:
    """Yield ``total`` plausible events spread over ``days`` days from ``first_day``
    (assisted contacts handled by one of ``teams``, contact team ids, when given)."""
    rng = random.Random(seed)
    tz = timezone.get_current_timezone()
    visitors = max(50, total // 20)
    people = max(10, visitors // 4)  # signed-in residents, seen again across days
    for n in range(total):
        day = first_day + timedelta(days=n % days)
        at = timezone.make_aware(
            datetime(day.year, day.month, day.day, rng.randrange(7, 23), rng.randrange(60)), tz
        )
        kind = rng.choice(_POPULATION)
        service = rng.choice(services)
        event = Interaction(
            occurred_at=at,
            type=kind,
            service_code=service,
            visitor_key=f"{rng.randrange(visitors):032x}",
            session_key=f"synthetic-{rng.randrange(visitors * 2)}",
            path=f"/services/{service}/",
            extras={"synthetic": True},
        )
        if rng.random() < (0.6 if kind == T.ASSISTED_CONTACT else 0.3):
            event.person_key = f"{rng.randrange(people):032x}"
        if kind == T.SEARCH:
            empty = rng.random() < 0.2
            event.outcome = Outcome.NO_RESULTS if empty else Outcome.RESULTS
            event.service_code = None  # searches are attributed to a service only by the rollups
            event.extras["query"] = rng.choice(_EMPTY_QUERIES if empty else _QUERIES)
            event.path = "/search/"
        elif kind == T.PAGE_FEEDBACK:
            event.outcome = Outcome.NOT_USEFUL if rng.random() < 0.3 else Outcome.USEFUL
        elif kind in (T.FORM_START, T.FORM_STEP, T.FORM_SUBMIT, T.FORM_ABANDON, T.FORM_ERROR):
            event.journey = f"form-{service}"
            event.step = f"step-{rng.randrange(1, 4)}"
            event.extras["started"] = day.isoformat()
            if kind == T.FORM_ERROR:
                event.extras["fields"] = [f"field-{rng.randrange(3)}"]
                event.extras["loop"] = rng.random() < 0.1
            elif kind == T.FORM_STEP:
                event.extras["first"] = True
        elif kind == T.TRANSACTION:
            event.channel = Channel.WEB if rng.random() < 0.7 else Channel.PHONE
            event.outcome = Outcome.SUCCESS
            event.extras["kind"] = "bill" if rng.random() < 0.2 else "form"
            event.path = ""
        elif kind == T.PAYMENT_RESULT:
            event.outcome = "failed" if rng.random() < 0.1 else "success"
        elif kind == T.ASSISTED_CONTACT:
            event.channel = rng.choice([Channel.PHONE, Channel.PHONE, Channel.FACE_TO_FACE, Channel.EMAIL])
            event.avoidable = rng.random() < 0.4
            event.avoidable_category = rng.choice(AvoidableCategory.values) if event.avoidable else ""
            event.resolved_first_contact = rng.random() < 0.7
            event.outcome = Outcome.RESOLVED if event.resolved_first_contact else Outcome.UNRESOLVED
            event.path = ""
            if teams:
                event.handled_by_id = rng.choice(teams)
        elif kind == T.SATISFACTION:
            score = rng.choice(_SCORES)
            event.channel = Channel.PHONE if rng.random() < 0.2 else Channel.WEB
            event.outcome = str(score)
            event.extras["score"] = score
            event.path = ""
        yield event


def synthetic_events_create(*, total: int, first_day: date, days: int, **kwargs) -> int:
    batch, made = [], 0
    for event in synthetic_events(total=total, first_day=first_day, days=days, **kwargs):
        batch.append(event)
        if len(batch) == 20000:
            made += len(Interaction.objects.bulk_create(batch))
            batch = []
    return made + len(Interaction.objects.bulk_create(batch))
