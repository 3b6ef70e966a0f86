"""Email to a team: the answers as a PDF, the files attached (or as links, over a size limit).

A team inbox is not a resident, so this goes by Django's mailer (SMTP in production) and not
through GOV.UK Notify, whose emails carry no attachments. The mail server taking the message
is as far as we can see: that counts as delivered. SMTP has no idempotency key; the
Message-ID names the delivery and the attempt, so a team can tell a resend from the original.
"""

from __future__ import annotations

import smtplib
from email.utils import parseaddr
from typing import TYPE_CHECKING

from fpdf import FPDF

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.formats import date_format

from forms_engine.selectors import submission_answer_rows

from ..files import FILE_LINK_MAX_AGE, file_url
from ..payloads import case_staff_url, submission_uploads
from .base import PermanentFailure, Result, TemporaryFailure

if TYPE_CHECKING:
    from forms_engine.models import Submission, Upload

    from ..models import Delivery

# Characters the PDF's core fonts (Latin-1) lack, written as the nearest they have.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "*",
        "\u00a0": " ",
        "\u20ac": "EUR ",
        "\u2122": "(TM)",
    }
)


def latin1(text: str) -> str:
    """``text`` as the PDF's core fonts can write it: curly quotes and dashes made plain, any
    other character they lack shown as ``?`` (the team still has the original in the portal)."""
    return str(text).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def _when(submission: Submission) -> str:
    return date_format(timezone.localtime(submission.submitted_at), "j F Y, H:i")


def answers_pdf(submission: Submission) -> bytes:
    """The submission as a one-column PDF: the form, the case reference, when, each question
    and its answer. Written uncompressed (text PDFs of a few pages stay small, and anyone can
    search or check the text in it)."""
    schema = submission.version.schema or {}
    case = submission.case
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.set_title(latin1(schema.get("title", "")))
    pdf.set_author(latin1(settings.WAGTAIL_SITE_NAME))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(width, 8, latin1(schema.get("title", "")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 11)
    facts = [
        ("Reference", case.reference if case else "No case"),
        ("Submitted", _when(submission)),
        ("Form version", str(submission.version.number)),
    ]
    for label, value in facts:
        pdf.multi_cell(width, 6, latin1(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for row in submission_answer_rows(submission):
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(width, 6, latin1(row["label"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(width, 6, latin1(str(row["value"]) or "(no answer)"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())


def _files_too_big(uploads: list[Upload], limit_mb: int) -> bool:
    return sum(u.size for u in uploads) > limit_mb * 1024 * 1024


def email_body(delivery: Delivery, *, links: list[tuple[Upload, str]]) -> str:
    submission = delivery.submission
    schema = submission.version.schema or {}
    case = submission.case
    lines = [
        f"A new submission of the form '{schema.get('title', '')}'.",
        "",
        f"Reference: {case.reference}" if case else "This form makes no case.",
        f"Submitted: {_when(submission)}",
        "",
        "The answers are in the attached PDF.",
    ]
    if links:
        lines += [
            "",
            f"The files were too large to attach. Download them within {FILE_LINK_MAX_AGE.days} days:",
            *(f"- {upload.original_name} ({upload.size // 1024 or 1} KB): {url}" for upload, url in links),
        ]
    elif submission_uploads(submission):
        lines += ["", "The files the resident gave are attached."]
    if case:
        lines += ["", f"See the case in the portal: {case_staff_url(case.pk)}"]
    lines += ["", settings.WAGTAIL_SITE_NAME]
    return "\n".join(lines)


def _message_id(delivery: Delivery) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "portal.invalid"
    return f"<delivery-{delivery.pk}.{delivery.attempts}@{domain}>"


def send(delivery: Delivery) -> Result:
    destination = delivery.destination
    recipients = destination.recipients
    if not recipients:
        raise PermanentFailure("The destination has no email address to send to")
    submission = delivery.submission
    schema = submission.version.schema or {}
    case = submission.case
    uploads = submission_uploads(submission)
    as_links = _files_too_big(uploads, destination.attach_limit_mb)
    links = [(upload, file_url(upload)) for upload in uploads] if as_links else []
    reference = case.reference if case else f"submission {submission.pk}"
    message = EmailMessage(
        subject=f"{schema.get('title', 'Form')}: {reference}",
        body=email_body(delivery, links=links),
        to=recipients,
        headers={"Message-ID": _message_id(delivery)},
    )
    message.attach(f"{reference.replace(' ', '-')}.pdf", answers_pdf(submission), "application/pdf")
    if not as_links:
        for upload in uploads:
            try:
                with upload.file.open("rb") as handle:
                    content = handle.read()
            except OSError as exc:
                raise TemporaryFailure(f"Could not read the file {upload.original_name}: {exc}") from None
            message.attach(upload.original_name, content, upload.content_type or "application/octet-stream")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"The mail server refused the addresses: {exc.recipients}") from None
    except smtplib.SMTPResponseException as exc:
        detail = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(detail) from None
        raise TemporaryFailure(detail) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(f"The mail server could not be reached: {type(exc).__name__}: {exc}") from None
    return Result(detail=f"Emailed to {', '.join(recipients)}" + (" (files as links)" if as_links else ""))


def _text(value: bytes | str) -> str:
    return (value.decode(errors="replace") if isinstance(value, bytes) else str(value))[:300]
