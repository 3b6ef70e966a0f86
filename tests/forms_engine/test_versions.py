import pytest

from forms_engine.models import ServiceForm
from forms_engine.services import form_version_current
from portal.cases.services import case_create


def _steps():
    return [
        {
            "type": "step",
            "value": {
                "title": "How many items?",
                "intro": "",
                "questions": [
                    {
                        "type": "number",
                        "value": {"label": "Number of items", "name": "items", "hint": "", "required": True},
                    }
                ],
                "condition": {"field": "", "operator": "equals", "value": ""},
            },
        }
    ]


@pytest.mark.django_db
def test_publishing_freezes_a_version_that_later_edits_do_not_change():
    form = ServiceForm.objects.create(title="Book a bulky waste collection", slug="bulky", steps=_steps())
    assert form_version_current(form=form) is None  # a draft has no version
    form.save_revision().publish()
    form.refresh_from_db()
    first = form_version_current(form=form)
    assert first.number == 1
    assert first.schema["steps"][0]["questions"][0]["name"] == "items"
    assert form_version_current(form=form) == first

    form.title = "Book a large item collection"
    form.save_revision().publish()
    form.refresh_from_db()
    second = form_version_current(form=form)
    assert second.number == 2
    first.refresh_from_db()
    assert first.schema["title"] == "Book a bulky waste collection"
    assert second.schema["title"] == "Book a large item collection"


@pytest.mark.django_db
def test_case_references_count_up_per_prefix():
    first = case_create(title="A", reference_prefix="BWC")
    second = case_create(title="B", reference_prefix="BWC")
    assert first.reference.startswith("BWC-") and first.reference.endswith("-000001")
    assert second.reference.endswith("-000002")
