"""Cases in a resident's data export; on account deletion they are kept, anonymised.

The council must keep a record of the requests it handled (what was asked, what it did,
when), so deleting an account unlinks its cases and blanks the contact details instead
of deleting them. Files the resident sent are deleted: the council keeps the decision,
not the evidence, once the resident has gone.
"""

from django.db import transaction

from portal.lib.personal_data import ExportedData, ExportFile, register

from .constants import Actor, CaseStatus, EventType
from .models import Case, CaseAttachment, CaseEvent
from .services.timeline import case_event_add


def _export(user) -> ExportedData:
    cases = list(
        Case.objects.filter(resident=user).prefetch_related("events", "attachments").order_by("created_at")
    )
    data, files = [], []
    for case in cases:
        data.append(
            {
                "reference": case.reference,
                "request": case.title,
                "status": CaseStatus(case.status).label,
                "created": case.created_at,
                "expected_by": case.due_on,
                "closed": case.closed_at,
                "outcome": case.outcome,
                "timeline": [
                    {
                        "when": event.created_at,
                        "what": event.get_type_display(),
                        "status": event.status_to_label,
                        "message": event.message,
                    }
                    for event in case.events.all()
                    if event.public
                ],
                "files": [f"{case.reference}/{a.original_name}" for a in case.attachments.all()],
            }
        )
        for attachment in case.attachments.all():
            files.append(
                ExportFile(
                    name=f"{case.reference}/{attachment.pk}-{attachment.original_name}",
                    open=lambda a=attachment: a.file.open("rb"),
                )
            )
    return ExportedData(data=data, files=files)


def _attachments_delete(attachments) -> None:
    storage = CaseAttachment._meta.get_field("file").storage
    names = list(attachments.values_list("file", flat=True))
    attachments.delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def _purge(cutoff) -> int:
    """Cases kept without an account (anonymised, or anonymous from the start), closed before
    the cutoff, are deleted with their timeline and files.

    A case whose form submission is still kept waits for it: the submissions part purges
    by the same rule, so such a case goes on the next run.
    """
    old = Case.objects.filter(resident__isnull=True, closed_at__lt=cutoff, submission__isnull=True)
    _attachments_delete(CaseAttachment.objects.filter(case__in=old))
    _, deleted = old.delete()
    return deleted.get(Case._meta.label, 0)


def _erase(user) -> None:
    """Keep the cases for the council's records with no link to the person or their contact details."""
    cases = Case.objects.filter(resident=user)
    _attachments_delete(CaseAttachment.objects.filter(case__in=cases))
    CaseEvent.objects.filter(case__in=cases, actor=user).update(actor=None)
    CaseEvent.objects.filter(case__in=cases, type=EventType.RESIDENT_MESSAGE).update(message="[removed]")
    cases.update(resident=None, contact_email="", contact_name="")


def _reassign(source, target) -> None:
    """Requests on a resident record move to the account it is added to, and from then on
    reach the person at the account's address. Each gets a note on its timeline, for staff."""
    CaseEvent.objects.filter(actor=source).update(actor=target)
    CaseAttachment.objects.filter(uploaded_by=source).update(uploaded_by=target)
    for case in Case.objects.filter(resident=source).select_for_update().order_by("pk"):
        case.resident = target
        case.contact_email = target.email
        case.contact_name = target.full_name or case.contact_name
        case.save(update_fields=["resident", "contact_email", "contact_name"])
        case_event_add(
            case=case,
            type=EventType.CLAIMED,
            actor=target,
            actor_role=Actor.RESIDENT,
            public=False,
            message="The resident added to their account the record the contact centre kept for "
            "them without an account, and this request with it. Updates now go to the account's "
            "email address.",
        )


register(
    name="cases",
    label="Your requests",
    export=_export,
    erase=_erase,
    deleted="The files you sent with your requests and your messages to officers are deleted.",
    kept="Your requests and what we did about them are kept, without your name or contact details, "
    "for {retention_years} years after they are closed.",
    purge=_purge,
    reassign=_reassign,
    order=30,
)
