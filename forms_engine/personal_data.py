"""What the forms engine holds about an account: drafts, sent forms and uploaded files.

- **Drafts** (forms not yet sent) are exported and deleted with the account.
- **Sent forms** are the council's record of what was asked for, linked to their case:
  they are kept after the account is deleted, without the account and without the
  answers that are contact details (name, email address, phone number), and deleted
  once older than ``PORTAL_RETENTION_YEARS``. Addresses and locations stay: they are
  what the request is about.
- **Uploaded files** go into the export under ``files/form_uploads/``; a draft's files
  are deleted with it, a sent form's are kept with the form.
"""

from portal.lib.personal_data import ExportedData, ExportFile, register

from .models import Draft, Submission, Upload
from .services import drafts_delete, uploads_delete

CONTACT_TYPES = {"email", "phone"}
CONTACT_PREFILLS = {"full_name", "email", "phone"}


def _questions(schema: dict) -> list[tuple[str, dict]]:
    return [(step.get("title", ""), q) for step in schema.get("steps", []) for q in step.get("questions", [])]


def _answers(schema: dict, answers: dict, files: dict[str, list[str]]) -> list[dict]:
    rows = []
    for step, question in _questions(schema):
        name = question["name"]
        if name not in answers and name not in files:
            continue
        row = {"step": step, "question": question["label"], "answer": answers.get(name)}
        if name in files:
            row["files"] = files[name]
        rows.append(row)
    return rows


def _export_name(upload: Upload) -> str:
    return f"{upload.pk}/{upload.original_name}"


def _files_by_question(uploads) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for upload in uploads:
        files.setdefault(upload.field_name, []).append(f"files/form_uploads/{_export_name(upload)}")
    return files


def _export_drafts(user) -> list[dict]:
    drafts = Draft.objects.filter(user=user).select_related("version__form").prefetch_related("uploads")
    return [
        {
            "form": draft.version.form.title,
            "started": draft.created_at,
            "last_changed": draft.updated_at,
            "answers": _answers(
                draft.version.schema, draft.answers or {}, _files_by_question(draft.uploads.all())
            ),
        }
        for draft in drafts
    ]


def _export_submissions(user) -> list[dict]:
    submissions = (
        Submission.objects.filter(user=user)
        .select_related("version__form", "case")
        .prefetch_related("uploads")
    )
    return [
        {
            "form": submission.version.form.title,
            "version": submission.version.number,
            "sent": submission.submitted_at,
            "case_reference": submission.case.reference if submission.case_id else "",
            "channel": submission.get_channel_display(),
            "contact_email": submission.contact_email,
            "fee_pence": submission.fee_pence,
            "answers": _answers(
                submission.version.schema,
                submission.answers or {},
                _files_by_question(submission.uploads.all()),
            ),
        }
        for submission in submissions
    ]


def _open(upload: Upload):
    return lambda: upload.file.storage.open(upload.file.name, "rb")


def _export_uploads(user) -> ExportedData:
    uploads = list(Upload.objects.filter(user=user).order_by("created_at"))
    return ExportedData(
        data=[
            {
                "file": f"files/form_uploads/{_export_name(upload)}",
                "name": upload.original_name,
                "type": upload.content_type,
                "size_bytes": upload.size,
                "question": upload.field_name,
                "uploaded": upload.created_at,
                "sent_with_a_form": upload.submission_id is not None,
            }
            for upload in uploads
        ],
        files=[
            ExportFile(name=_export_name(upload), open=_open(upload)) for upload in uploads if upload.file
        ],
    )


def _erase_drafts(user) -> None:
    drafts_delete(Draft.objects.filter(user=user).only("pk"))
    uploads_delete(Upload.objects.filter(user=user, draft__isnull=True, submission__isnull=True))


def contact_answer_names(schema: dict) -> set[str]:
    """The questions whose answers are the person's contact details, not the request."""
    return {
        q["name"]
        for _, q in _questions(schema)
        if q.get("type") in CONTACT_TYPES or (q.get("options") or {}).get("prefill") in CONTACT_PREFILLS
    }


def _erase_submissions(user) -> None:
    """Keep each sent form with its case, without the account or the contact details."""
    for submission in Submission.objects.filter(user=user).select_related("version").iterator():
        remove = contact_answer_names(submission.version.schema)
        answers = {k: v for k, v in (submission.answers or {}).items() if k not in remove}
        Submission.objects.filter(pk=submission.pk).update(user=None, contact_email="", answers=answers)
    Upload.objects.filter(user=user).update(user=None)


def _purge_submissions(cutoff) -> int:
    """Sent forms kept without an account, once older than the retention period."""
    old = Submission.objects.filter(user__isnull=True, submitted_at__lt=cutoff)
    uploads_delete(Upload.objects.filter(submission__in=old))
    _, deleted = old.delete()
    return deleted.get(Submission._meta.label, 0)


def _reassign_drafts(source, target) -> None:
    Draft.objects.filter(user=source).update(user=target)


def _reassign_submissions(source, target) -> None:
    """The answers (and the email they were sent with) stay as given; only the owner changes."""
    Submission.objects.filter(user=source).update(user=target)


def _reassign_uploads(source, target) -> None:
    Upload.objects.filter(user=source).update(user=target)


register(
    name="form_drafts",
    label="Online forms you started and have not sent yet",
    export=_export_drafts,
    erase=_erase_drafts,
    deleted="Forms you started and did not send are deleted, with any files you uploaded on them.",
    reassign=_reassign_drafts,
    order=40,
)
register(
    name="form_submissions",
    label="Online forms you sent us, with your answers",
    export=_export_submissions,
    erase=_erase_submissions,
    kept="Forms you sent us are kept with their case for {retention_years} years, as the council's "
    "record of what was asked for, but no longer linked to you and without your name, email "
    "address or phone number.",
    purge=_purge_submissions,
    reassign=_reassign_submissions,
    order=41,
)
register(
    name="form_uploads",
    label="Files you uploaded on online forms",
    export=_export_uploads,
    reassign=_reassign_uploads,
    order=42,
)
