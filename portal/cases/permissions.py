"""Which staff may see which cases.

Service managers see every case; case officers see their teams' cases and any case
assigned to them; everyone else (editors, finance, residents) sees none. Superusers see
all, as everywhere in the admin. Every staff view of a case, and any other app serving a
case's files to staff, asks here.
"""

from django.db.models import Q, QuerySet

from .models import Case, Team

CASE_OFFICERS = "Case officers"
SERVICE_MANAGERS = "Service managers"


def _group_names(user) -> set[str]:
    cached = getattr(user, "_case_group_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._case_group_names = cached
    return cached


def staff_sees_all_cases(user) -> bool:
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or SERVICE_MANAGERS in _group_names(user)


def staff_is_case_worker(user) -> bool:
    """Whether ``user`` works cases at all (sees the queue, even if it is empty)."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return staff_sees_all_cases(user) or CASE_OFFICERS in _group_names(user)


def cases_visible_to_staff(user) -> QuerySet[Case]:
    """The cases ``user`` may see in the staff workspace (an empty queryset for non-case staff)."""
    if staff_sees_all_cases(user):
        return Case.objects.all()
    if staff_is_case_worker(user):
        return Case.objects.filter(
            Q(team__in=Team.objects.filter(members=user).values("pk")) | Q(assignee=user)
        )
    return Case.objects.none()


def staff_can_view_case(user, case: Case) -> bool:
    """Whether ``user`` may see ``case`` (its timeline, answers and files) as staff."""
    if case is None or not staff_is_case_worker(user):
        return False
    if staff_sees_all_cases(user):
        return True
    if case.assignee_id == user.pk:
        return True
    if case.team_id is None:
        return False
    return case.team.members.filter(pk=user.pk).exists()


def staff_can_change_case(user, case: Case) -> bool:
    """Whether ``user`` may act on ``case`` (needs the model permission as well as sight of it)."""
    return staff_can_view_case(user, case) and user.has_perm("cases.change_case")
