"""Cases for tests: made through the services, as the portal makes them."""

from portal.cases.models import Team
from portal.cases.services import case_create, case_transition
from tests.accounts.factories import UserFactory, staff_in

__all__ = ["staff_in", "officer_in", "team_make", "case_make"]


def officer_in(team: Team, **kwargs):
    user = staff_in("Case officers", **kwargs)
    team.members.add(user)
    return user


def team_make(name: str = "Waste", email: str = "waste-team@council.example") -> Team:
    return Team.objects.get_or_create(name=name, defaults={"email": email})[0]


def case_make(*, resident=None, team=None, status: str = "submitted", sla: int | None = 10, **kwargs):
    """A case moved to ``status`` through allowed moves (as staff, then the resident if needed)."""
    if resident is None and "contact_email" not in kwargs:
        resident = UserFactory()
    # As the forms engine does for signed-in residents: its confirmation email is the acknowledgement.
    kwargs.setdefault("notify", resident is None)
    case = case_create(
        title=kwargs.pop("title", "Report a missed bin collection"),
        reference_prefix=kwargs.pop("reference_prefix", "BWC"),
        service_code=kwargs.pop("service_code", 524),
        resident=resident,
        team=team,
        sla_working_days=sla,
        awaiting_payment=status in ("awaiting_payment", "closed_unpaid"),
        **kwargs,
    )
    path = {
        "awaiting_payment": [],
        "submitted": [],
        "closed_unpaid": [("closed_unpaid", "system")],
        "in_progress": [("in_progress", "staff")],
        "awaiting_resident": [("in_progress", "staff"), ("awaiting_resident", "staff")],
        "resolved": [("in_progress", "staff"), ("resolved", "staff")],
        "rejected": [("rejected", "staff")],
        "withdrawn": [("withdrawn", "resident")],
    }[status]
    for to, role in path:
        case_transition(case=case, to=to, actor_role=role, message="Because")
    case.refresh_from_db()
    return case
