# ruff: noqa: E501 - demo copy reads better unwrapped
"""Demo forms: seven live council forms, their teams, and a month of form interactions.

Loaded by ``manage.py load_demo`` after the demo content and accounts. Idempotent: a team
or form is created only when missing, a service page is pointed at its form only when it
is not already, and the synthetic form events are added once.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from cms.models import ServicePage
from payments.constants import VatStatus
from portal.cases.models import Team
from portal.interactions.constants import InteractionType
from portal.interactions.models import Interaction
from portal.interactions.rollups import rollup_build_day

from .constants import FeeType, SignIn
from .models import FormVersion, ServiceForm

DEMO_OFFICER = "officer@example.com"

TEAMS = [
    ("Waste services", "waste@council.example"),
    ("Highways", "highways@council.example"),
    ("Parking", "parking@council.example"),
    ("Council tax", "counciltax@council.example"),
]

_NO_CONDITION = {"field": "", "operator": "equals", "value": ""}


def q(kind: str, name: str, label: str, *, hint: str = "", required: bool = True, condition=None, **options):
    """A question block's raw StreamField data."""
    value = {"label": label, "name": name, "hint": hint, "required": required, **options}
    value["condition"] = condition or _NO_CONDITION
    return {"type": kind, "value": value}


def step(title: str, *questions, intro: str = "", condition=None) -> dict:
    return {
        "type": "step",
        "value": {
            "title": title,
            "intro": intro,
            "questions": list(questions),
            "condition": condition or _NO_CONDITION,
        },
    }


def when(field: str, value: str, operator: str = "equals") -> dict:
    return {"field": field, "operator": operator, "value": value}


CLOSED = "<p>This form is closed for now. Call us on 01234 567890, Monday to Friday, 9am to 5pm.</p>"

FORMS = [
    {
        "page": "report-a-missed-bin",
        "team": "Waste services",
        "fields": {
            "title": "Report a missed bin",
            "slug": "report-a-missed-bin",
            "service_id": 524,
            "intro": "<p>Report a bin that was not emptied on your collection day. You can report it up to 2 working days after your collection day.</p><p>You will need the address where the bin was not collected.</p>",
            "sign_in": SignIn.OPTIONAL,
            "reference_prefix": "MB",
            "sla_working_days": 2,
            "confirmation_text": "<p>We have your report of a missed bin.</p>",
            "next_steps": "<p>We will collect your bin within 2 working days. Leave it out until it has been emptied.</p><p>If we cannot collect it, for example because it was not out in time, we will tell you why.</p>",
            "closed_message": CLOSED,
        },
        "steps": [
            step(
                "Which bin was not collected?",
                q(
                    "radios",
                    "bin_type",
                    "Which bin was not collected?",
                    choices=[
                        "General waste (black bin)",
                        "Recycling (blue bin)",
                        "Food waste (caddy)",
                        "Garden waste (green bin)",
                    ],
                ),
            ),
            step(
                "Where is the bin?",
                q(
                    "address",
                    "address",
                    "Address where the bin was not collected",
                    prefill_from_profile=True,
                ),
            ),
            step(
                "Your collection",
                q(
                    "radios",
                    "put_out",
                    "Was the bin out by 7am on your collection day?",
                    choices=["Yes", "No"],
                    error_message="Select yes if the bin was out by 7am on your collection day",
                ),
                q(
                    "radios",
                    "garden_subscription",
                    "Do you pay for garden waste collections?",
                    hint="We only collect garden waste for households that subscribe.",
                    choices=["Yes", "No", "I do not know"],
                    condition=when("bin_type", "Garden waste (green bin)"),
                ),
            ),
            step(
                "Anything else we should know?",
                q(
                    "long_text",
                    "details",
                    "Anything else we should know? (optional)",
                    hint="For example, where the bin is if it is not at the front of the property.",
                    required=False,
                    max_length=500,
                ),
            ),
        ],
    },
    {
        "page": "bulky-waste-collection",
        "team": "Waste services",
        "fields": {
            "title": "Book a bulky waste collection",
            "slug": "book-a-bulky-waste-collection",
            "service_id": 528,
            "intro": "<p>Book a collection of up to 10 large household items, such as sofas, mattresses and fridges. It costs £12.50 per item.</p><p>You will need to pay by debit or credit card.</p>",
            "sign_in": SignIn.OPTIONAL,
            "fee_type": FeeType.PER_ANSWER,
            "fee_amount_pence": 1250,
            "fee_field": "items",
            "fee_description": "Bulky waste collection",
            "fee_vat": VatStatus.OUTSIDE_SCOPE,
            "reference_prefix": "BWC",
            "sla_working_days": 10,
            "confirmation_text": "<p>Your bulky waste collection is booked.</p>",
            "next_steps": "<p>Put the items outside your property by 7am on the collection day, where the crew can reach them.</p><p>You can cancel up to 2 working days before the collection for a full refund.</p>",
            "closed_message": CLOSED,
        },
        "steps": [
            step(
                "What do you want us to collect?",
                q(
                    "checkboxes",
                    "item_types",
                    "What do you want us to collect?",
                    hint="Select all that apply.",
                    choices=[
                        "Sofa or armchair",
                        "Bed or mattress",
                        "Fridge or freezer",
                        "Washing machine or cooker",
                        "Table or chairs",
                        "Other large item",
                    ],
                ),
                q(
                    "long_text",
                    "other_items",
                    "Describe the other items",
                    condition=when("item_types", "Other large item", "contains"),
                    max_length=500,
                ),
            ),
            step(
                "How many items?",
                q(
                    "number",
                    "items",
                    "How many items do you want us to collect?",
                    hint="Each item costs £12.50. Count each chair or piece of a set as one item. You can book up to 10.",
                    min_value="1",
                    max_value="10",
                    whole_number=True,
                    suffix="items",
                ),
            ),
            step(
                "When do you want the collection?",
                q(
                    "date",
                    "collection_date",
                    "Collection date",
                    hint="We collect Monday to Friday. Choose a date at least 3 days from today.",
                    when="future",
                    min_days_ahead=3,
                    max_days_ahead=60,
                ),
            ),
            step(
                "Where should we collect from?",
                q("address", "address", "Collection address", prefill_from_profile=True),
                q(
                    "text",
                    "where_left",
                    "Where will you leave the items?",
                    hint="For example, in the front garden or by the gate.",
                    max_length=200,
                ),
            ),
            step(
                "Your phone number",
                q(
                    "phone",
                    "phone",
                    "UK phone number (optional)",
                    hint="In case the crew cannot find the items.",
                    required=False,
                    prefill="phone",
                ),
            ),
        ],
    },
    {
        "page": "resident-parking-permit",
        "team": "Parking",
        "fields": {
            "title": "Apply for a resident parking permit",
            "slug": "apply-for-a-resident-parking-permit",
            "service_id": 474,
            "intro": "<p>Apply for a 12-month permit to park in your street's controlled parking zone. It costs £95.</p><p>You will need your vehicle registration number and a proof of address from the last 3 months (a council tax bill, tenancy agreement or utility bill).</p>",
            "sign_in": SignIn.REQUIRED,
            "fee_type": FeeType.FIXED,
            "fee_amount_pence": 9500,
            "fee_description": "Resident parking permit (12 months)",
            "fee_vat": VatStatus.OUTSIDE_SCOPE,
            "reference_prefix": "PP",
            "sla_working_days": 5,
            "confirmation_text": "<p>We have your application for a resident parking permit.</p>",
            "next_steps": "<p>We will check your proof of address within 5 working days. Your permit is digital: it is linked to your vehicle registration, so there is nothing to display.</p><p>We will email you when it starts.</p>",
            "closed_message": CLOSED,
        },
        "steps": [
            step(
                "Your vehicle",
                q(
                    "text",
                    "registration",
                    "Vehicle registration number",
                    hint="For example, AB12 CDE",
                    max_length=8,
                    format="uk_vehicle_registration",
                    error_message="Enter your vehicle registration number",
                ),
                q("text", "make_model", "Make and model", hint="For example, Ford Fiesta", max_length=100),
            ),
            step(
                "Your address",
                q("address", "address", "The address the permit is for", prefill_from_profile=True),
            ),
            step(
                "Proof of address",
                q(
                    "file",
                    "proof",
                    "Upload a proof of your address",
                    hint="A council tax bill, tenancy agreement or utility bill from the last 3 months, showing your name and address.",
                    allowed_types=["pdf", "jpg", "png"],
                    max_size_mb=5,
                ),
            ),
            step(
                "When should the permit start?",
                q(
                    "date",
                    "start_date",
                    "Start date",
                    hint="Choose a date in the next 30 days.",
                    when="future",
                    min_days_ahead=1,
                    max_days_ahead=30,
                ),
            ),
            step(
                "Declaration",
                q(
                    "declaration",
                    "declaration",
                    "Declaration",
                    statement="The vehicle is registered to me at this address, and the information I have given is true.",
                ),
            ),
        ],
    },
    {
        "page": "report-a-pothole",
        "team": "Highways",
        "fields": {
            "title": "Report a pothole",
            "slug": "report-a-pothole",
            "service_id": 557,
            "intro": "<p>Report a pothole or damaged road surface. If it is dangerous, call us now on 01234 567890, day or night.</p>",
            "sign_in": SignIn.OPTIONAL,
            "reference_prefix": "PH",
            # A street report: its position and status are public, so apps may file it.
            "open311_listed": True,
            "sla_working_days": 10,
            "confirmation_text": "<p>We have your report of a pothole.</p>",
            "next_steps": "<p>An inspector will look at it within 10 working days and decide what repair it needs. We will tell you when it has been inspected.</p>",
            "closed_message": CLOSED,
        },
        "steps": [
            step(
                "Where is the pothole?",
                q(
                    "location",
                    "location",
                    "Where is the pothole?",
                    hint="Give the street and the nearest house number, junction or landmark.",
                    ask_coordinates=True,
                ),
            ),
            step(
                "About the pothole",
                q(
                    "radios",
                    "size",
                    "How big is it?",
                    choices=[
                        "Smaller than a dinner plate",
                        "Between a dinner plate and a car tyre",
                        "Bigger than a car tyre",
                    ],
                ),
                q(
                    "radios",
                    "position",
                    "Where is it?",
                    choices=["In the road", "On the pavement", "In a cycle lane"],
                ),
            ),
            step(
                "Photo",
                q(
                    "file",
                    "photo",
                    "Upload a photo (optional)",
                    hint="A photo helps us judge how urgent the repair is. JPG, PNG or HEIC, up to 10MB.",
                    required=False,
                    allowed_types=["jpg", "png", "heic"],
                    max_size_mb=10,
                ),
            ),
            step(
                "Anything else we should know?",
                q(
                    "long_text",
                    "details",
                    "Anything else we should know? (optional)",
                    required=False,
                    max_length=500,
                ),
            ),
        ],
    },
    {
        "page": "moving-home",
        "team": "Council tax",
        "fields": {
            "title": "Request a council tax change",
            "slug": "request-a-council-tax-change",
            # LGSL 58: council tax, individual account enquiries (including new accounts).
            "service_id": 58,
            "intro": "<p>Tell us about a change that affects your council tax: moving in, out or within the area, or someone moving in or out of your home.</p><p>You will need the date of the change.</p>",
            "sign_in": SignIn.REQUIRED,
            "reference_prefix": "CT",
            "sla_working_days": 10,
            "confirmation_text": "<p>We have your council tax change.</p>",
            "next_steps": "<p>We will update your account within 10 working days and send you a new bill if the amount changes. Keep paying your current instalments until then.</p>",
            "closed_message": CLOSED,
        },
        "steps": [
            step(
                "What has changed?",
                q(
                    "radios",
                    "change",
                    "What has changed?",
                    choices=[
                        "I am moving into the area",
                        "I am moving out of the area",
                        "I am moving within the area",
                        "Someone has moved in or out of my home",
                    ],
                ),
            ),
            step(
                "The address",
                q(
                    "address",
                    "address",
                    "The address the change is about",
                    hint="For a move, the address you are moving into, or out of if you are leaving the area.",
                    prefill_from_profile=True,
                ),
                q(
                    "long_text",
                    "forwarding_address",
                    "Your forwarding address",
                    hint="So we can send your final bill.",
                    condition=when("change", "I am moving out of the area"),
                    max_length=300,
                ),
            ),
            step(
                "Date and people",
                q(
                    "date",
                    "change_date",
                    "Date of the change",
                    hint="It must be in the last 12 months or the next 3 months. For example, 27 3 2026",
                    when="any",
                    earliest={"amount": 12, "unit": "months", "direction": "ago"},
                    latest={"amount": 3, "unit": "months", "direction": "ahead"},
                ),
                q(
                    "number",
                    "adults",
                    "How many adults (18 or over) live at the address after the change?",
                    hint="This lets us check whether you can get a discount, such as the single person discount.",
                    min_value="0",
                    max_value="20",
                    whole_number=True,
                ),
            ),
            step(
                "Declaration",
                q(
                    "declaration",
                    "declaration",
                    "Declaration",
                    statement="The information I have given is true. I will tell you about any further change.",
                ),
            ),
        ],
    },
    {
        "page": "report-fly-tipping",
        "team": "Waste services",
        "fields": {
            "title": "Report fly-tipping",
            "slug": "report-fly-tipping",
            "service_id": 587,
            "intro": "<p>Report rubbish that has been dumped illegally on a road, pavement, verge or other public land. We clear fly-tipping on private land only if it is dangerous.</p><p>Do not touch or move it: it may be dangerous, and it may be evidence. If it looks like chemicals, drums or asbestos, call us now on 01234 567890.</p>",
            "sign_in": SignIn.OPTIONAL,
            "reference_prefix": "FT",
            # A street report: its position and status are public, so apps may file it.
            "open311_listed": True,
            "sla_working_days": 5,
            "confirmation_text": "<p>We have your report of fly-tipping.</p>",
            "next_steps": "<p>We will clear it within 5 working days, or within 1 working day if it is blocking a road or pavement or is dangerous.</p><p>We check what was dumped for evidence of who dumped it, and we prosecute when we can.</p>",
            "closed_message": CLOSED,
        },
        "steps": [
            step(
                "Where is it?",
                q(
                    "location",
                    "location",
                    "Where is the fly-tipping?",
                    hint="Give the street and the nearest house number, junction or landmark.",
                    ask_coordinates=True,
                ),
            ),
            step(
                "What has been dumped?",
                q(
                    "checkboxes",
                    "what",
                    "What has been dumped?",
                    hint="Select all that apply.",
                    choices=[
                        "Black bags or household rubbish",
                        "Furniture or mattresses",
                        "Electrical items or fridges",
                        "Building rubble",
                        "Tyres",
                        "Garden waste",
                        "Something else",
                    ],
                ),
                q(
                    "radios",
                    "amount",
                    "How much is there?",
                    choices=[
                        "A single item or bag",
                        "A car boot load",
                        "A small van load",
                        "A lorry load or more",
                    ],
                ),
                q(
                    "radios",
                    "blocking",
                    "Is it blocking a road, pavement or entrance?",
                    choices=["Yes", "No"],
                ),
            ),
            step(
                "Did you see who dumped it?",
                q(
                    "radios",
                    "witnessed",
                    "Did you see who dumped it?",
                    choices=["Yes", "No"],
                ),
                q(
                    "long_text",
                    "witness_details",
                    "What did you see?",
                    hint="For example, the date and time, what they looked like, and a vehicle's make, colour and registration number.",
                    condition=when("witnessed", "Yes"),
                    max_length=1000,
                ),
            ),
            step(
                "Photo",
                q(
                    "file",
                    "photo",
                    "Upload a photo (optional)",
                    hint="JPG, PNG or HEIC, up to 10MB.",
                    required=False,
                    allowed_types=["jpg", "png", "heic"],
                    max_size_mb=10,
                ),
            ),
        ],
    },
    {
        "page": "street-light-fault",
        "team": "Highways",
        "fields": {
            "title": "Report a street light fault",
            "slug": "report-a-street-light-fault",
            "service_id": 564,
            "intro": "<p>Report a street light that is not working, flickering, on during the day or damaged.</p><p>If a street light has been knocked down, has exposed wires or its door is missing, call us now on 01234 567890, day or night.</p>",
            "sign_in": SignIn.OPTIONAL,
            "reference_prefix": "SL",
            # A street report: its position and status are public, so apps may file it.
            "open311_listed": True,
            "sla_working_days": 7,
            "confirmation_text": "<p>We have your report of a street light fault.</p>",
            "next_steps": "<p>We will fix most faults within 7 working days. If the electricity supply needs repairing, the power company does it, which can take up to 25 working days. We will tell you if it will take longer.</p>",
            "closed_message": CLOSED,
        },
        "steps": [
            step(
                "Where is the street light?",
                q(
                    "location",
                    "location",
                    "Where is the street light?",
                    hint="Give the street and the nearest house number, junction or landmark.",
                    ask_coordinates=True,
                ),
                q(
                    "text",
                    "column_number",
                    "Number on the lamp post (optional)",
                    hint="Most lamp posts have a number on a small plate about head height, for example 27 or SL27.",
                    required=False,
                    max_length=10,
                ),
            ),
            step(
                "What is wrong with it?",
                q(
                    "radios",
                    "fault",
                    "What is wrong with it?",
                    choices=[
                        "It is not working at all",
                        "It is on during the day",
                        "It is flickering or goes on and off",
                        "It is damaged, leaning or has a missing part",
                    ],
                ),
                q(
                    "long_text",
                    "damage",
                    "Describe the damage",
                    hint="If wires are showing or it might fall, call us now on 01234 567890 instead.",
                    condition=when("fault", "It is damaged, leaning or has a missing part"),
                    max_length=500,
                ),
            ),
            step(
                "Anything else we should know?",
                q(
                    "long_text",
                    "details",
                    "Anything else we should know? (optional)",
                    hint="For example, how long it has not been working, or if other lights nearby are out too.",
                    required=False,
                    max_length=500,
                ),
            ),
        ],
    },
]


def _teams() -> dict[str, Team]:
    teams = {
        name: Team.objects.get_or_create(name=name, defaults={"email": email})[0] for name, email in TEAMS
    }
    officer = get_user_model().objects.filter(email=DEMO_OFFICER).first()
    if officer is not None:
        for team in teams.values():
            team.members.add(officer)
    return teams


def _form(spec: dict, teams: dict[str, Team]) -> tuple[ServiceForm, bool]:
    existing = ServiceForm.objects.filter(slug=spec["fields"]["slug"]).first()
    if existing is not None:
        return existing, False
    form = ServiceForm(**spec["fields"], team=teams[spec["team"]], steps=spec["steps"])
    form.full_clean()
    form.save()
    form.save_revision().publish()
    return ServiceForm.objects.get(pk=form.pk), True


def _link(page_slug: str, form: ServiceForm) -> bool:
    page = ServicePage.objects.filter(slug=page_slug).first()
    if page is None or page.start_form_id == form.pk:
        return False
    page.start_form = form
    page.start_page = None
    page.start_url = ""
    page.save_revision().publish()
    return True


def _event(form: ServiceForm, kind: str, *, at, session: str, **fields) -> Interaction:
    fields.setdefault("extras", {})["synthetic"] = True
    return Interaction(
        occurred_at=at,
        type=kind,
        session_key=session,
        service_code=form.service_id,
        journey=form.slug,
        path=f"/forms/{form.slug}/",
        **fields,
    )


def _synthetic_events(forms: list[ServiceForm], *, days: int = 30, seed: int = 2026) -> int:
    """People starting each demo form, most finishing, some giving up at each step."""
    slugs = [form.slug for form in forms]
    if Interaction.objects.filter(Q(journey__in=slugs) & Q(extras__synthetic=True)).exists():
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    events = []
    for form in forms:
        version = FormVersion.objects.filter(form=form).order_by("-number").first()
        steps = version.schema["steps"]
        for n in range(rng.randrange(40, 90)):
            at = now - timedelta(days=rng.uniform(0.01, days))
            session = f"synthetic-{form.slug}-{n}"

            started = timezone.localdate(at).isoformat()

            def event(kind, at=at, session=session, form=form, started=started, **fields):
                fields["extras"] = {**fields.get("extras", {}), "started": started}
                return _event(form, kind, at=at, session=session, **fields)

            events.append(event(InteractionType.FORM_START))
            finished = True
            for position, schema_step in enumerate(steps, start=1):
                at += timedelta(seconds=rng.randrange(20, 120))
                if rng.random() < 0.12:
                    name = rng.choice(schema_step["questions"])["name"]
                    events.append(
                        event(
                            InteractionType.FORM_ERROR,
                            at=at,
                            step=schema_step["id"],
                            # about one error in five is someone's third on that question
                            extras={"fields": [name], "loop": rng.random() < 0.2},
                        )
                    )
                if rng.random() < 0.06:
                    events.append(
                        event(
                            InteractionType.FORM_ABANDON,
                            at=at,
                            step=schema_step["id"],
                            extras={"order": position},
                        )
                    )
                    finished = False
                    break
                events.append(
                    event(
                        InteractionType.FORM_STEP,
                        at=at,
                        step=schema_step["id"],
                        extras={"order": position, "first": True},
                    )
                )
            if finished:
                events.append(event(InteractionType.FORM_SUBMIT, at=at + timedelta(seconds=30)))
                # no fee, or its fee paid: a transaction completed on the web
                events.append(
                    event(InteractionType.TRANSACTION, at=at + timedelta(seconds=30), extras={"kind": "form"})
                )
    made = len(Interaction.objects.bulk_create(events))
    today = timezone.localdate()
    for offset in range(days + 1):
        rollup_build_day(day=today - timedelta(days=offset))
    return made


def demo_forms_load() -> dict[str, int]:
    """Teams, the seven demo forms (published) and their service pages' start buttons."""
    teams = _teams()
    forms, created, linked = [], 0, 0
    for spec in FORMS:
        form, new = _form(spec, teams)
        forms.append(form)
        created += new
        linked += _link(spec["page"], form)
    return {"forms_created": created, "pages_linked": linked, "events": _synthetic_events(forms)}
