"""Forms for tests, built the way editors build them: StreamField steps, saved and published.

``question`` takes an optional label; ``q`` (the demo's) takes it positionally.
"""

from forms_engine.demo import q
from forms_engine.models import ServiceForm
from forms_engine.services import form_version_current

NO_CONDITION = {"field": "", "operator": "equals", "value": ""}


def question(
    type: str,
    name: str,
    label: str | None = None,
    *,
    required: bool = True,
    hint: str = "",
    condition: dict | None = None,
    **options,
) -> dict:
    """One question block (raw StreamField JSON). ``options`` are the type's own settings."""
    if type in ("radios", "checkboxes", "select"):
        options["choices"] = list(options.get("choices") or ["Yes", "No"])
    if type == "declaration":
        options.setdefault("statement", "The information I have given is correct")
    if type == "file":
        options.setdefault("allowed_types", ["pdf", "jpg", "png"])
        options.setdefault("max_size_mb", 1)
    return {
        "type": type,
        "value": {
            "label": label or name.replace("_", " ").capitalize(),
            "name": name,
            "hint": hint,
            "required": required,
            **options,
            "condition": condition or NO_CONDITION,
        },
    }


def step(title: str, *questions: dict, intro: str = "", condition: dict | None = None) -> dict:
    return {
        "type": "step",
        "value": {
            "title": title,
            "intro": intro,
            "questions": list(questions),
            "condition": condition or NO_CONDITION,
        },
    }


def when(field: str, value: str, operator: str = "equals") -> dict:
    return {"field": field, "operator": operator, "value": value}


def form_build(
    *, slug: str, steps: list[dict], title: str | None = None, publish: bool = True, **fields
) -> ServiceForm:
    """A ServiceForm with ``steps``, published (so it is live and has a FormVersion) unless told not."""
    fields.setdefault("sign_in", "optional")
    fields.setdefault("reference_prefix", "REQ")
    fields.setdefault("confirmation_text", "<p>Thank you for telling us.</p>")
    fields.setdefault("next_steps", "<p>We will look at your request within 5 working days.</p>")
    form = ServiceForm(title=title or slug.replace("-", " ").capitalize(), slug=slug, steps=steps, **fields)
    form.full_clean()
    form.save()
    if publish:
        form.save_revision().publish()
        form.refresh_from_db()
        form_version_current(form=form)
    return form


def form_republish(form: ServiceForm, **changes) -> ServiceForm:
    for name, value in changes.items():
        setattr(form, name, value)
    form.full_clean()
    form.save_revision().publish()
    form.refresh_from_db()
    form_version_current(form=form)
    return form


def missed_bin_form(**fields) -> ServiceForm:
    """'Report a missed bin': anonymous allowed, no email question (the engine asks for one)."""
    fields.setdefault("sign_in", "none")
    fields.setdefault("reference_prefix", "MBC")
    return form_build(
        slug=fields.pop("slug", "missed-bin"),
        title="Report a missed bin",
        steps=[
            step(
                "Which bin was missed?",
                question(
                    "radios",
                    "bin_type",
                    "Which bin was missed?",
                    choices=["General waste", "Recycling", "Garden waste"],
                ),
            ),
            step(
                "Garden waste subscription",
                question("text", "permit_number", "Garden waste permit number", hint="It is on the sticker"),
                condition=when("bin_type", "Garden waste"),
            ),
            step("Where was it missed?", question("address", "address", "Address of the missed bin")),
            step(
                "When should it have been collected?",
                question("date", "collection_date", "When should it have been collected?", when="past"),
            ),
        ],
        **fields,
    )


def bulky_waste_form(*, fee: bool = True, **fields) -> ServiceForm:
    """'Book a bulky waste collection': sign-in required, £x per item when ``fee``."""
    fields.setdefault("sign_in", "required")
    fields.setdefault("reference_prefix", "BWC")
    if fee:
        fields.setdefault("fee_type", "per_answer")
        fields.setdefault("fee_amount_pence", 1500)
        fields.setdefault("fee_field", "item_count")
        fields.setdefault("fee_description", "Bulky waste collection")
    return form_build(
        slug=fields.pop("slug", "bulky-waste"),
        title="Book a bulky waste collection",
        steps=[
            step(
                "How many items?",
                question(
                    "number",
                    "item_count",
                    "How many items?",
                    min_value="1",
                    max_value="10",
                    whole_number=True,
                    suffix="items",
                ),
            ),
            step(
                "What are the items?", question("long_text", "items", "What are the items?", max_length=500)
            ),
            step(
                "Collection details",
                question(
                    "date",
                    "collection_date",
                    "Collection date",
                    when="future",
                    min_days_ahead=2,
                    max_days_ahead=60,
                ),
                question("address", "address", "Collection address"),
                question("phone", "phone", "Phone number", prefill="phone", required=False),
            ),
        ],
        **fields,
    )


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
