"""Demo cases for ``manage.py load_demo``: a queue for the demo officer, a history for the resident.

Made through the case services, as phone and face-to-face requests would be, so every
case has a real timeline. Safe to run repeatedly: nothing is added once the demo
resident has cases.
"""

from datetime import timedelta

from django.utils import timezone

from portal.interactions.constants import Channel

from .constants import MESSAGE_REQUIRED_FOR
from .constants import CaseStatus as S
from .models import Case, Team
from .services import case_assign, case_create, case_officer_message, case_staff_transition

# (title, prefix, LGSL code, team, channel, for the demo resident?, moves, officer message)
DEMO_CASES = [
    (
        "Report a missed bin collection",
        "MB",
        524,
        "Waste services",
        Channel.PHONE,
        True,
        [S.IN_PROGRESS],
        "Sorry we missed your bin. The crew will come back tomorrow.",
    ),
    (
        "Report a pothole",
        "PH",
        557,
        "Highways",
        Channel.FACE_TO_FACE,
        True,
        [S.IN_PROGRESS, S.AWAITING_RESIDENT],
        "Please send us a photo of the pothole and tell us which side of the road it is on.",
    ),
    (
        "Book a bulky waste collection",
        "BWC",
        528,
        "Waste services",
        Channel.PHONE,
        True,
        [S.IN_PROGRESS, S.RESOLVED],
        "We collected your sofa on Tuesday.",
    ),
    ("Report fly-tipping", "FT", 587, "Waste services", Channel.PHONE, False, [], ""),
    ("Report a pothole", "PH", 557, "Highways", Channel.PHONE, False, [S.IN_PROGRESS], ""),
    ("Apply for a resident parking permit", "PP", 474, "Parking", Channel.FACE_TO_FACE, False, [], ""),
    (
        "Report a missed bin collection",
        "MB",
        524,
        "Waste services",
        Channel.PHONE,
        False,
        [S.IN_PROGRESS],
        "",
    ),
]


def demo_cases_load(*, resident, officer) -> int:
    """Create the demo cases if the demo resident has none yet; returns how many were made."""
    if Case.objects.filter(resident=resident).exists():
        return 0
    teams = {team.name: team for team in Team.objects.all()}
    made = []
    for title, prefix, code, team_name, channel, mine, moves, message in DEMO_CASES:
        case = case_create(
            title=title,
            reference_prefix=prefix,
            service_code=code,
            resident=resident if mine else None,
            contact_email="" if mine else f"caller{len(made) + 1}@example.net",
            contact_name="" if mine else "Demo caller",
            team=teams.get(team_name),
            sla_working_days=10,
            channel=channel,
            notify=False,
        )
        if moves:
            case_assign(case=case, actor=officer, assignee=officer)
        for to in moves:
            needs_message = to in MESSAGE_REQUIRED_FOR
            case_staff_transition(case=case, actor=officer, to=to, message=message if needs_message else "")
        if message and moves == [S.IN_PROGRESS]:
            case_officer_message(case=case, actor=officer, message=message)
        made.append(case)
    # Some of the queue is late, so the overdue filter and the daily digest have work.
    late = [case.pk for case in made[3:5]]
    Case.objects.filter(pk__in=late).update(due_on=timezone.localdate() - timedelta(days=2))
    return len(made)
