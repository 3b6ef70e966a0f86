"""Which staff may see which cases, and the resident data that hangs off them.

Service managers see every case; case officers see their teams' cases and any case
assigned to them; everyone else (editors, finance, residents) sees none. Superusers see
all, as everywhere in the admin. Every staff view of a case, and any other app serving a
case's files, support needs, satisfaction answers or assisted contacts to staff, asks here:
``cases_visible_to_staff`` is the one rule, and the helpers below are built on it.

Assisted contacts (``interactions_visible_to_staff``) follow the case they name. A general
contact (no case, or a reference that matches no case) is seen by the officer who recorded
it, the officers who share a team with them, and service managers: it may carry a
resident's name, email and notes, so it is not open to every officer.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Trim, Upper

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


def staff_can_use_queue(user) -> bool:
    """Whether ``user`` may open the case queue and case pages at all."""
    return staff_is_case_worker(user) and user.has_perm("cases.view_case")


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


def case_visible_to_staff_by_reference(user, reference: str) -> Case | None:
    """The case with this reference if ``user`` may see it, else None (whether it exists or not).

    For forms that take a typed reference: a case the officer cannot see and a reference
    that matches nothing get the same answer, so nothing leaks.
    """
    reference = (reference or "").strip().upper()
    if not reference:
        return None
    return cases_visible_to_staff(user).filter(reference=reference).first()


def _colleagues(user) -> QuerySet:
    """``user`` and the officers who share a case team with them (ids, as a subquery)."""
    return (
        get_user_model()
        .objects.filter(Q(pk=user.pk) | Q(case_teams__in=Team.objects.filter(members=user).values("pk")))
        .values("pk")
    )


def interactions_visible_to_staff(user, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` (interactions, such as assisted contacts) ``user`` may see as staff.

    A row naming a case is visible exactly when the case is (``cases_visible_to_staff``).
    A row naming no case (or a reference that matches no case, such as one deleted at the
    end of its retention) is visible to its recorder, their team-mates and service managers.
    Staff who do not work cases see none.
    """
    if staff_sees_all_cases(user):
        return queryset
    if not staff_is_case_worker(user):
        return queryset.none()
    reference = Upper(Trim(OuterRef("case_reference")))
    names_a_case = Exists(Case.objects.filter(reference=reference))
    names_a_visible_case = Exists(cases_visible_to_staff(user).filter(reference=reference))
    return queryset.filter(names_a_visible_case | (~names_a_case & Q(staff_id__in=_colleagues(user))))
