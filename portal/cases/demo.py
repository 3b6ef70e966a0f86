"""Demo cases for ``manage.py load_demo``: a queue for the demo officer, a history for the resident.

Made through the case services, as phone and face-to-face requests would be, so every
case has a real timeline. Safe to run repeatedly: nothing is added once the demo
resident has cases.
"""

from datetime import timedelta

from django.utils import timezone

from .models import Case, Team
from .services import case_assign, case_create, case_officer_message, case_staff_transition

# (title, prefix, LGSL code, team, channel, for the demo resident?, moves, officer message)
DEMO_CASES = [
    (
        "Report a missed bin collection",
        "MB",
        524,
        "Waste services",
        "phone",
        True,
        ["in_progress"],
        "Sorry we missed your bin. The crew will come back tomorrow.",
    ),
    (
        "Report a pothole",
        "PH",
        557,
        "Highways",
        "face_to_face",
        True,
        ["in_progress", "awaiting_resident"],
        "Please send us a photo of the pothole and tell us which side of the road it is on.",
    ),
    (
        "Book a bulky waste collection",
        "BWC",
        528,
        "Waste services",
        "phone",
        True,
        ["in_progress", "resolved"],
        "We collected your sofa on Tuesday.",
    ),
    ("Report fly-tipping", "FT", 587, "Waste services", "phone", False, [], ""),
    ("Report a pothole", "PH", 557, "Highways", "phone", False, ["in_progress"], ""),
    ("Apply for a resident parking permit", "PP", 474, "Parking", "face_to_face", False, [], ""),
    ("Report a missed bin collection", "MB", 524, "Waste services", "phone", False, ["in_progress"], ""),
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
            needs_message = to in ("awaiting_resident", "resolved")
            case_staff_transition(case=case, actor=officer, to=to, message=message if needs_message else "")
        if message and moves == ["in_progress"]:
            case_officer_message(case=case, actor=officer, message=message)
        made.append(case)
    # Some of the queue is late, so the overdue filter and the daily digest have work.
    late = [case.pk for case in made[3:5]]
    Case.objects.filter(pk__in=late).update(due_on=timezone.localdate() - timedelta(days=2))
    return len(made)
