"""Builders for the forms editor's tests: forms, published forms and staff in a group."""

from django.contrib.auth.models import Group

from forms_engine.demo import q, step, when
from forms_engine.models import ServiceForm
from tests.factories import StaffFactory

__all__ = ["q", "step", "when", "small_steps", "form_create", "form_published", "staff_in"]


def small_steps() -> list[dict]:
    """Three steps: a choice, a conditional step, and a number."""
    return [
        step(
            "Which bin?",
            q("radios", "bin_type", "Which bin was not collected?", choices=["Black", "Green"]),
        ),
        step(
            "Garden waste",
            q("radios", "subscribed", "Do you subscribe?", choices=["Yes", "No"]),
            condition=when("bin_type", "Green"),
        ),
        step("How many?", q("number", "items", "How many bins?", min_value="1", max_value="3")),
    ]


def form_create(**fields) -> ServiceForm:
    values = {"title": "Report a missed bin", "slug": "missed-bin", "steps": small_steps(), "live": False}
    values.update(fields)
    form = ServiceForm(**values)
    form.full_clean()
    form.save()
    return form


def form_published(**fields) -> ServiceForm:
    form = form_create(**fields)
    form.save_revision().publish()
    return ServiceForm.objects.get(pk=form.pk)


def staff_in(group_name: str, **kwargs):
    user = StaffFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    return user
