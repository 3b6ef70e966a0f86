"""Demo content for the contact centre: a caller with no account, and a web attempt to see.

``load_demo`` runs this after the forms exist. The demo resident started "Report a missed
bin" yesterday evening and stopped at the address step, so an agent who takes their call
sees it on the resident record before the caller explains; Pat Caller has no account and
no email, the kind of caller the contact centre keeps a record for.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.services import resident_record_create
from forms_engine.models import Draft, ServiceForm
from forms_engine.services import form_version_current
from portal.interactions.constants import Channel, InteractionType
from portal.interactions.services import interaction_record
from portal.lib import demo

CALLER = {
    "full_name": "Pat Caller",
    "phone": "07700 900123",
    "address_line_1": "4 Mill Lane",
    "town": "Anytown",
    "postcode": "AB1 4NL",
    "contact_preference": "post",
}


@transaction.atomic
def demo_contact_centre_load() -> None:
    users = get_user_model().objects
    agent = users.filter(email="agent@example.com").first()
    if agent is not None and not users.filter(has_account=False, full_name=CALLER["full_name"]).exists():
        resident_record_create(staff=agent, **CALLER)
    resident = users.filter(email="resident@example.com").first()
    form = ServiceForm.objects.filter(slug="report-a-missed-bin").first()
    version = form_version_current(form=form) if form else None
    if resident is None or version is None:
        return
    if Draft.objects.filter(user=resident, version__form=form).exists():
        return
    steps = version.schema.get("steps") or []
    if len(steps) < 2:
        return
    first, address = (str(s.get("id") or n) for n, s in enumerate(steps[:2], start=1))
    yesterday = timezone.localdate() - timedelta(days=1)
    started = timezone.make_aware(datetime.combine(yesterday, time(18, 2)))
    draft = Draft.objects.create(
        version=version,
        user=resident,
        answers={"bin_type": "General waste (black bin)"},
        current_step=address,
        progress={"steps": [first]},
    )
    Draft.objects.filter(pk=draft.pk).update(created_at=started, updated_at=started + timedelta(minutes=1))
    for type_, step, minutes, extras in (
        (InteractionType.FORM_START, first, 0, {"order": 1, "version": version.number}),
        (InteractionType.FORM_STEP, first, 1, {"order": 1, "first": True}),
    ):
        interaction_record(
            type=type_,
            channel=Channel.WEB,
            user=resident,
            service_code=version.schema.get("service_code"),
            journey=version.schema.get("slug", ""),
            step=step,
            occurred_at=started + timedelta(minutes=minutes),
            extras={**extras, "started": yesterday.isoformat()},
        )


def register() -> None:
    demo.register("contact_centre", demo_contact_centre_load, order=300)
