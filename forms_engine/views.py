"""Residents filling in a form: start, one step per page, check answers, send, confirmation.

Every draft URL carries the draft's id, and every view checks the draft is the
resident's own (their account, or this browser's session for anonymous drafts):
anyone else gets a 404.

A contact-centre agent on a call (``request.assisted``, ``portal.lib.assisted``) goes
through the same pages for the caller: the draft is the caller's, prefilled from the
caller's profile, its events are on the call's channel with the agent as staff (never the
agent's browser as the resident's), and the submission is the caller's, made on that
channel. The agent may open the identified caller's own drafts (carrying on, with their
consent, from the call screen) and drafts started for an unknown caller on the same call,
and nothing else; nothing started for a caller is ever claimed by the agent's account.
"""

import functools
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.selectors import profile_initial, staff_mfa_step
from cms.models import ContactPage
from portal.lib.assisted import Assisted, assisted_for
from portal.lib.money import pounds
from portal.lib.ratelimit import retry_after_message
from portal.lib.uploads import UploadLimits, upload_limit
from portal.lib.validation import phone_display, phone_is_uk_mobile, phone_normalise

from .constants import FROM_SERVICE_PAGE, SignIn, assisted_phrase
from .engine import Flow, PendingUpload, StepForm, fee_pence, fee_quantity, handler_for
from .models import Draft, FormVersion, ServiceForm, Submission, Upload
from .selectors import (
    SESSION_DRAFTS,
    SESSION_SUBMISSIONS,
    assisted_draft_allowed,
    call_draft_allow,
    contact_centre_url,
    draft_for_form,
    form_introduced_by,
    session_owns_draft,
    submission_answer_rows,
    upload_visible_to,
)
from .services import (
    ResumeLinkNotSent,
    SubmissionIncomplete,
    draft_by_resume_token,
    draft_claim,
    draft_claim_for_caller,
    draft_create,
    draft_create_for_caller,
    draft_resume_link_request,
    draft_resume_link_retry_after,
    draft_session_attach,
    draft_step_save,
    form_error_record,
    form_version_current,
    submission_create,
    submission_payment,
    upload_remove,
)


def _session_list_add(request: HttpRequest, key: str, value: str) -> None:
    items = [item for item in request.session.get(key) or [] if item != value]
    request.session[key] = [*items[-19:], value]


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def _claim_session_drafts(request: HttpRequest) -> None:
    """A resident who signed in partway keeps the answers this browser gave before."""
    if assisted_for(request) is not None:
        return  # an agent on a call: this browser's drafts are nobody's business now
    if not request.user.is_authenticated or not request.session.get(SESSION_DRAFTS):
        return
    for draft in Draft.objects.filter(pk__in=request.session[SESSION_DRAFTS], user__isnull=True):
        draft_claim(draft=draft, user=request.user)
    request.session[SESSION_DRAFTS] = []


def _login_url(next_url: str) -> str:
    return f"{reverse('account_login')}?{urlencode({'next': next_url})}"


def _closed(request: HttpRequest, form: ServiceForm) -> HttpResponse:
    contact_page = ContactPage.objects.live().public().first()
    return render(request, "forms_engine/closed.html", {"service_form": form, "contact_page": contact_page})


class _Stop(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


# Acting for a caller (request.assisted)


def _caller(request: HttpRequest) -> Assisted | None:
    """The call the agent is working on, or None for a resident (and for staff with no call).

    Staff reach a resident's answers, as the admins, only after 2-step verification."""
    assisted = assisted_for(request)
    if assisted is not None and staff_mfa_step(request) is not None:
        raise Http404("Verify it is you before helping a caller")
    return assisted


def _resident(request: HttpRequest, assisted: Assisted | None):
    """Whose the answers are: the caller the agent is helping, or the signed-in resident."""
    if assisted is not None:
        return assisted.resident
    return request.user if request.user.is_authenticated else None


def _events(assisted: Assisted | None, request: HttpRequest) -> dict:
    """How a page's events are recorded: the resident's own request on the web, or, for an
    agent, the call's channel and the agent as staff (the request is the agent's browser)."""
    if assisted is not None:
        return {"request": None, "channel": assisted.channel, "staff": assisted.staff}
    return {"request": request}


def _caller_draft_add(request: HttpRequest, assisted: Assisted, draft: Draft) -> None:
    call_draft_allow(request, call_id=assisted.call_id, draft_id=draft.pk)


def _caller_name(assisted: Assisted) -> str:
    return str(assisted.resident) if assisted.resident is not None else "an unidentified caller"


def _draft_for(request: HttpRequest, slug: str, draft_id) -> Draft:
    """The resident's own, unsent, unexpired draft, or a response that ends the request."""
    draft = (
        Draft.objects.select_related("version__form").filter(pk=draft_id, version__form__slug=slug).first()
    )
    if draft is None:
        raise Http404("No such form in progress")
    assisted = _caller(request)
    if assisted is not None:
        if not assisted_draft_allowed(request, assisted, draft):
            raise Http404("No such form in progress")
        if draft.user_id is None and assisted.resident is not None:
            # Started before the caller was identified, on this call: now theirs.
            draft_claim_for_caller(draft=draft, assisted=assisted)
    elif draft.user_id:
        if not request.user.is_authenticated:
            raise _Stop(redirect_to_login(request.get_full_path()))
        if draft.user_id != request.user.pk:
            raise Http404("No such form in progress")
    else:
        if not session_owns_draft(request, draft):
            raise Http404("No such form in progress")
        if request.user.is_authenticated:
            draft_claim(draft=draft, user=request.user)
            _claim_session_drafts(request)
        elif draft.version.schema.get("sign_in") == SignIn.REQUIRED:
            raise _Stop(redirect_to_login(request.get_full_path()))
    form = draft.version.form
    if form.archived or not form.live:
        raise _Stop(_closed(request, form))
    if draft.is_submitted:
        submission = Submission.objects.filter(idempotency_key=draft.idempotency_key).first()
        if submission is not None:
            raise _Stop(_after_submit(request, submission))
        raise Http404("No such form in progress")
    if draft.is_expired:
        messages.info(
            request,
            f"Answers are kept for {settings.FORM_DRAFT_DAYS} days, so yours have been deleted. "
            "Please start again.",
        )
        raise _Stop(redirect(form.get_absolute_url()))
    return draft


def with_draft(view):
    @functools.wraps(view)
    def wrapped(request, slug, draft, *args, **kwargs):
        try:
            loaded = _draft_for(request, slug, draft)
            return view(request, loaded, *args, **kwargs)
        except _Stop as stop:
            return stop.response

    return never_cache(wrapped)


def _flow(draft: Draft) -> Flow:
    return Flow(draft.version.schema, anonymous=draft.user_id is None)


def _step_url(draft: Draft, number: int, *, change: bool = False) -> str:
    url = reverse(
        "forms_engine:step", kwargs={"slug": draft.version.form.slug, "draft": draft.pk, "number": number}
    )
    return f"{url}?change=1" if change else url


def _check_url(draft: Draft) -> str:
    return reverse("forms_engine:check", kwargs={"slug": draft.version.form.slug, "draft": draft.pk})


def _uploads(draft: Draft, flow: Flow, answers: dict, names=None) -> dict[str, Upload]:
    """The files the answers point at, by question name (no query when none are asked for)."""
    wanted = {
        str(answers[name]): name
        for name, q in flow.questions.items()
        if q["type"] == "file" and answers.get(name) and (names is None or name in names)
    }
    if not wanted:
        return {}
    return {wanted[str(u.pk)]: u for u in Upload.objects.filter(draft=draft, pk__in=list(wanted))}


def _after_submit(request: HttpRequest, submission: Submission) -> HttpResponse:
    assisted = _caller(request)
    if assisted is not None:
        return _after_caller_submit(request, assisted, submission)
    payment = getattr(submission, "payment", None) or submission_payment(submission)
    if payment is not None and not payment.is_success:
        return redirect("payments:pay", reference=payment.reference)
    return redirect("forms_engine:done", slug=submission.version.form.slug, key=submission.idempotency_key)


def _after_caller_submit(request: HttpRequest, assisted: Assisted, submission: Submission) -> HttpResponse:
    """Back to the call: the agent tells the caller the reference, and any fee is paid by a
    link sent from the record (staff never take card details)."""
    case = submission.case
    name = str(submission.user) if submission.user_id else "the caller"
    reference = case.reference if case is not None else submission.version.schema.get("title", "the form")
    messages.success(request, f"Sent {reference} for {name} {assisted_phrase(assisted.channel)}")
    payment = getattr(submission, "payment", None) or submission_payment(submission)
    if payment is not None and not payment.is_success:
        messages.warning(
            request, f"A fee of {pounds(submission.fee_pence)} is due: send a payment link from the record"
        )
    page = "contact_centre:record" if assisted.resident is not None else "contact_centre:call_forms"
    return redirect(contact_centre_url(page, assisted))


# Pages


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """'Before you start': what to have ready, signing in (if the form asks), and Start."""
    service_form = get_object_or_404(ServiceForm, slug=slug)
    if service_form.archived:
        return _closed(request, service_form)
    version = form_version_current(form=service_form)
    if version is None:
        if service_form.versions.exists():  # was live once, then unpublished: closed, not missing
            return _closed(request, service_form)
        raise Http404("This form is not published")
    assisted = _caller(request)
    if assisted is not None:
        return _start_for_caller(request, service_form, version, assisted)
    _claim_session_drafts(request)
    schema = version.schema
    sign_in = schema.get("sign_in") or SignIn.OPTIONAL
    existing = draft_for_form(request=request, form=service_form)
    unanswered = None
    if existing is not None and not existing.answers:
        # Opened but nothing answered: nothing to "continue with", and no second empty draft.
        unanswered, existing = existing, None
    service_page = form_introduced_by(service_form)
    if (
        request.method == "GET"
        and FROM_SERVICE_PAGE in request.META.get("QUERY_STRING", "").split("&")
        and service_page is not None
        and existing is None
    ):
        # The service page was the start page and said what to have ready (GOV.UK's pattern):
        # begin at the first question, which shows the privacy notice and the offer to sign
        # in. A saved form in progress still gets this page, to continue or start again.
        if sign_in == SignIn.REQUIRED and not request.user.is_authenticated:
            return redirect(_login_url(request.get_full_path()))
        return _begin(request, version, unanswered)
    if request.method == "POST":
        if sign_in == SignIn.REQUIRED and not request.user.is_authenticated:
            return redirect(_login_url(request.path))
        if request.POST.get("action") == "continue" and existing is not None:
            return redirect("forms_engine:resume_draft", slug=slug, draft=existing.pk)
        return _begin(request, version, unanswered)
    return render(
        request,
        "forms_engine/start.html",
        {
            "service_form": service_form,
            "schema": schema,
            "service_page": service_page,
            "sign_in": sign_in,
            "existing": existing,
            "existing_expires_at": existing.expires_at if existing else None,
            "login_url": _login_url(request.path),
            "signup_url": f"{reverse('account_signup')}?{urlencode({'next': request.path})}",
            "fee": schema.get("fee") or {},
            "fee_text": pounds(int((schema.get("fee") or {}).get("amount_pence") or 0)),
        },
    )


def _begin(request: HttpRequest, version: FormVersion, unanswered: Draft | None) -> HttpResponse:
    """The resident's new draft, at its first question; the one they opened and left
    unanswered, if any, rather than a second empty one."""
    if unanswered is not None and unanswered.version_id == version.pk:
        return redirect(_step_url(unanswered, 1))
    anonymous = not request.user.is_authenticated
    draft = draft_create(
        version=version,
        user=request.user,
        session_key=_session_key(request) if anonymous else "",
        request=request,
    )
    if anonymous:
        _session_list_add(request, SESSION_DRAFTS, str(draft.pk))
    return redirect(_step_url(draft, 1))


def _start_for_caller(
    request: HttpRequest, service_form: ServiceForm, version: FormVersion, assisted: Assisted
) -> HttpResponse:
    """The start page for an agent: Start makes a new draft for the caller. Carrying on with
    the caller's own draft is done from their record, which asks for their consent first."""
    schema = version.schema
    sign_in = schema.get("sign_in") or SignIn.OPTIONAL
    resident = assisted.resident
    # A form residents must sign in for keeps its answers in an account: the caller's record.
    needs_record = sign_in == SignIn.REQUIRED and resident is None
    if request.method == "POST" and not needs_record:
        draft = draft_create_for_caller(
            version=version,
            assisted=assisted,
            session_key=_session_key(request) if resident is None else "",
        )
        _caller_draft_add(request, assisted, draft)
        return redirect(_step_url(draft, 1))
    theirs = draft_for_form(request=request, form=service_form, user=resident) if resident else None
    return render(
        request,
        "forms_engine/start.html",
        {
            "service_form": service_form,
            "schema": schema,
            "service_page": form_introduced_by(service_form),
            "sign_in": sign_in,
            "assisted": assisted,
            "caller_name": _caller_name(assisted),
            "needs_record": needs_record,
            "their_draft": theirs if theirs is not None and theirs.answers else None,
            "record_url": contact_centre_url(
                "contact_centre:record" if resident is not None else "contact_centre:call_forms", assisted
            ),
            "fee": schema.get("fee") or {},
            "fee_text": pounds(int((schema.get("fee") or {}).get("amount_pence") or 0)),
        },
        status=400 if request.method == "POST" else 200,
    )


@with_draft
def resume_draft(request: HttpRequest, draft: Draft) -> HttpResponse:
    """Carry on where the resident left off (My account's and the email's links land here)."""
    flow = _flow(draft)
    answers = flow.prune(draft.answers)
    if draft.current_step == "check":
        incomplete = flow.first_incomplete(answers)
        return redirect(_step_url(draft, incomplete) if incomplete else _check_url(draft))
    number = flow.number_of(draft.current_step) if draft.current_step else None
    if number is None or not flow.step_visible(number, answers):
        number = flow.first_incomplete(answers)
    if number is None:
        return redirect(_check_url(draft))
    return redirect(_step_url(draft, number))


def _step_upload_limits(request: HttpRequest, slug: str, draft, number: int) -> UploadLimits:
    """The files a step's questions take, so a larger request is refused before it is read."""
    drafts = Draft.objects.filter(pk=draft, version__form__slug=slug)
    schema = drafts.values_list("version__schema", flat=True).first()
    this_step = Flow(schema, anonymous=False).step(number) if schema else None
    files = [q for q in (this_step or {}).get("questions", []) if q.get("type") == "file"]
    if not files:
        return UploadLimits()
    return UploadLimits(file_bytes=max(handler_for(q).max_bytes(q) for q in files), files=len(files))


@upload_limit(_step_upload_limits)
@with_draft
def step(request: HttpRequest, draft: Draft, number: int) -> HttpResponse:
    flow = _flow(draft)
    this_step = flow.step(number)
    if this_step is None:
        if number == len(flow.steps) + 1:  # the email step, gone because the resident has signed in
            return redirect("forms_engine:resume_draft", slug=draft.version.form.slug, draft=draft.pk)
        raise Http404("No such step")
    answers = flow.prune(draft.answers)
    if not flow.step_visible(number, answers):
        return redirect("forms_engine:resume_draft", slug=draft.version.form.slug, draft=draft.pk)
    change = (request.GET.get("change") or request.POST.get("change")) == "1"
    file_names = {q["name"] for q in this_step["questions"] if q["type"] == "file"}
    uploads = _uploads(draft, flow, answers, file_names) if file_names else {}
    assisted = _caller(request)
    resident = _resident(request, assisted)
    events = _events(assisted, request)
    options = {
        "step": this_step,
        "answers": answers,
        "uploads": uploads,
        "profile": profile_initial(resident),
    }
    if request.method == "POST":
        partial = request.POST.get("action") == "save"
        form = StepForm(request.POST, request.FILES, partial=partial, **options)
        if form.is_valid():
            next_number = draft_step_save(
                draft=draft, flow=flow, number=number, form=form, partial=partial, **events
            )
            if partial:
                return redirect("forms_engine:saved", slug=draft.version.form.slug, draft=draft.pk)
            if change:
                incomplete = flow.first_incomplete(draft.answers)
                return redirect(_step_url(draft, incomplete) if incomplete else _check_url(draft))
            return redirect(_step_url(draft, next_number) if next_number else _check_url(draft))
        if any(isinstance(v, PendingUpload) for v in form.step_answers.values()):
            draft_step_save(draft=draft, flow=flow, number=number, form=form, files_only=True, **events)
            form.uploads.update(_uploads(draft, flow, draft.answers, file_names))
        form_error_record(draft=draft, number=number, step=this_step, fields=form.error_names(), **events)
    elif request.method == "GET" or request.method == "HEAD":
        form = StepForm(**options)
    else:
        return HttpResponse(status=405)
    rows = form.rows()
    previous = flow.previous_number(number, answers)
    if change:
        back_url = _check_url(draft)
    elif previous:
        back_url = _step_url(draft, previous)
    else:
        # Back to the service page when it is the form's start page (its start button skips
        # the form's own), else to the form's start page.
        service_page = form_introduced_by(draft.version.form)
        back_url = service_page.url if service_page is not None else draft.version.form.get_absolute_url()
    heading_row = (
        rows[0]
        if len(rows) == 1 and not this_step.get("intro") and _same(rows[0]["q"]["label"], this_step["title"])
        else None
    )
    return render(
        request,
        "forms_engine/step.html",
        {
            "form": form,
            "rows": rows,
            "heading_row": heading_row,
            "step": this_step,
            "number": number,
            "draft": draft,
            "schema": draft.version.schema,
            "change": change,
            "back_url": back_url,
            "multipart": bool(file_names),
            "has_location": any(q["type"] == "location" for q in form.questions),
            "has_reveal": form.reveals,
            "signed_in": resident is not None,
            # The first question is where the privacy notice is sure to be seen (the start page
            # is skipped from a service page), and the offer to sign in and save the answers.
            "first_question": number == 1 and not change,
            "sign_in_url": (
                _login_url(_step_url(draft, 1))
                if assisted is None
                and resident is None
                and (draft.version.schema.get("sign_in") or SignIn.OPTIONAL) == SignIn.OPTIONAL
                else ""
            ),
        },
    )


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold().rstrip("?") == " ".join(b.split()).casefold().rstrip("?")


@with_draft
def check(request: HttpRequest, draft: Draft) -> HttpResponse:
    """Check your answers, with a Change link for each, then send."""
    flow = _flow(draft)
    answers = flow.prune(draft.answers)
    uploads = _uploads(draft, flow, answers)
    error = None
    if request.method == "POST":
        assisted = _caller(request)
        try:
            if assisted is not None:
                submission = submission_create(draft=draft, assisted=assisted)
            else:
                submission = submission_create(draft=draft, request=request)
        except SubmissionIncomplete as exc:
            error = {"message": exc.message, "url": _step_url(draft, exc.step, change=True)}
        else:
            if submission.user_id is None and assisted is None:
                _session_list_add(request, SESSION_SUBMISSIONS, str(submission.idempotency_key))
            return _after_submit(request, submission)
    schema = draft.version.schema
    fee = fee_pence(schema, answers)
    sections = flow.summary(answers, uploads)
    for section in sections:
        for row in section["rows"]:
            row["change_url"] = _step_url(draft, section["number"], change=True)
            if row["upload"] is not None:
                row["remove_url"] = reverse(
                    "forms_engine:remove_upload",
                    kwargs={"slug": schema["slug"], "draft": draft.pk, "upload": row["upload"].pk},
                )
    incomplete = flow.first_incomplete(answers)
    last = flow.visible_steps(answers)[-1][0] if flow.visible_steps(answers) else 1
    return render(
        request,
        "forms_engine/check.html",
        {
            "draft": draft,
            "schema": schema,
            "sections": sections,
            "fee": fee,
            "fee_text": pounds(fee) if fee else "",
            "fee_quantity": fee_quantity(schema, answers),
            "error": error,
            "incomplete_url": _step_url(draft, incomplete) if incomplete else "",
            "back_url": _step_url(draft, last),
            "assisted": _caller(request),
        },
        status=400 if error else 200,
    )


class ResumeEmailForm(forms.Form):
    """Where to send the link: an email address, or a mobile number for a text."""

    send_by = forms.ChoiceField(
        label="How should we send the link?",
        choices=[("email", "By email"), ("sms", "By text message")],
        required=False,
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        required=False,
        help_text="We will send you a link to come back to your answers. Nothing else.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Enter an email address in the correct format, like name@example.com",
        },
    )
    phone = forms.CharField(
        label="Mobile phone number",
        max_length=20,
        required=False,
        help_text="For example, 07700 900 982. We will text you the link. Nothing else.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        send_by = data.get("send_by") or "email"
        if (
            send_by == "email"
            and not data.get("email")
            and self.data.get(self.add_prefix("phone"), "").strip()
        ):
            send_by = "sms"  # Enter pressed in the mobile number field submits the first button
        data["send_by"] = send_by
        if send_by == "sms":
            data["email"] = ""
            raw = self.data.get(self.add_prefix("phone"), "")
            if not raw.strip():
                self.add_error("phone", "Enter a mobile phone number to get the link by text")
                return data
            try:
                phone = phone_normalise(raw)
            except ValidationError:
                phone = ""
            if not phone_is_uk_mobile(phone):
                self.add_error("phone", "Enter a UK mobile number, like 07700 900 982, or choose email")
            data["phone"] = phone
        else:
            data["phone"] = ""
            if not data.get("email") and "email" not in self.errors:
                self.add_error("email", "Enter an email address")
        return data


@with_draft
def saved(request: HttpRequest, draft: Draft) -> HttpResponse:
    """After "Save and come back later": where to find the answers again."""
    assisted = _caller(request)
    context = {
        "draft": draft,
        "schema": draft.version.schema,
        "expires_at": draft.expires_at,
        "assisted": assisted,
        "record_url": contact_centre_url("contact_centre:record", assisted) if assisted else "",
    }
    if draft.user_id is not None:
        return render(request, "forms_engine/saved.html", context)
    flow = _flow(draft)
    form = ResumeEmailForm(request.POST or None, initial={"email": flow.contact_email(draft.answers)})
    if request.method == "POST" and form.is_valid():
        email, phone = form.cleaned_data["email"], form.cleaned_data["phone"]
        field = "phone" if phone else "email"
        try:
            if draft_resume_link_request(draft=draft, email=email, phone=phone, **_events(assisted, request)):
                return render(
                    request,
                    "forms_engine/saved_email_sent.html",
                    {**context, "email": email, "phone": phone_display(phone)},
                )
            form.add_error(
                field,
                "You have asked for several links already. "
                + ("Check your text messages. " if phone else "Check your email. ")
                + retry_after_message(draft_resume_link_retry_after(draft)),
            )
        except ResumeLinkNotSent as error:
            form.add_error(field, str(error))
    resume_url = reverse(
        "forms_engine:resume_draft", kwargs={"slug": draft.version.form.slug, "draft": draft.pk}
    )
    if assisted is not None:
        context["record_url"] = contact_centre_url("contact_centre:call_forms", assisted)
    return render(
        request,
        "forms_engine/saved_anonymous.html",
        {**context, "form": form, "login_url": _login_url(resume_url)},
    )


@never_cache
def resume(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: the draft becomes this browser's (or this account's) again."""
    draft = draft_by_resume_token(token)
    if draft is None:
        return render(
            request, "forms_engine/resume_invalid.html", {"draft_days": settings.FORM_DRAFT_DAYS}, status=404
        )
    if draft.user_id:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if draft.user_id != request.user.pk:
            return render(
                request,
                "forms_engine/resume_invalid.html",
                {"draft_days": settings.FORM_DRAFT_DAYS},
                status=404,
            )
    else:
        assisted = _caller(request)
        if assisted is not None:
            # A caller's link opened by the agent helping them: kept for this call, never
            # claimed by the agent's account.
            _caller_draft_add(request, assisted, draft)
            return redirect("forms_engine:resume_draft", slug=draft.version.form.slug, draft=draft.pk)
        _session_list_add(request, SESSION_DRAFTS, str(draft.pk))
        if request.user.is_authenticated:
            draft_claim(draft=draft, user=request.user)
        else:
            draft_session_attach(draft=draft, session_key=_session_key(request))
    return redirect("forms_engine:resume_draft", slug=draft.version.form.slug, draft=draft.pk)


@with_draft
def remove_upload(request: HttpRequest, draft: Draft, upload) -> HttpResponse:
    found = Upload.objects.filter(pk=upload, draft=draft, submission__isnull=True).first()
    if found is None:
        raise Http404("No such file")
    if request.method == "POST":
        upload_remove(draft=draft, upload=found)
        messages.success(request, f"{found.original_name} has been removed")
        return redirect(_check_url(draft))
    return render(
        request,
        "forms_engine/remove_upload.html",
        {"draft": draft, "upload": found, "schema": draft.version.schema, "back_url": _check_url(draft)},
    )


@never_cache
def done(request: HttpRequest, slug: str, key) -> HttpResponse:
    """The confirmation: the case reference and what happens next."""
    submission = (
        Submission.objects.select_related("case", "version__form")
        .filter(idempotency_key=key, version__form__slug=slug)
        .first()
    )
    if submission is None:
        raise Http404("No such submission")
    if submission.user_id:
        if not (request.user.is_authenticated and request.user.pk == submission.user_id):
            raise Http404("No such submission")
    elif str(submission.idempotency_key) not in (request.session.get(SESSION_SUBMISSIONS) or []):
        raise Http404("No such submission")
    payment = submission_payment(submission)
    schema = submission.version.schema
    return render(
        request,
        "forms_engine/done.html",
        {
            "submission": submission,
            "case": submission.case,
            "schema": schema,
            "payment": payment,
            "paid": payment is not None and payment.is_success,
            "fee_text": pounds(submission.fee_pence) if submission.fee_pence else "",
            "rows": submission_answer_rows(submission),
        },
    )


@never_cache
def upload_download(request: HttpRequest, pk) -> HttpResponse:
    """A private upload, to its owner or to staff allowed to see its case; everyone else 404."""
    upload = Upload.objects.select_related("submission__case").filter(pk=pk).first()
    if upload is None or not upload_visible_to(request, upload):
        raise Http404("No such file")
    try:
        handle = upload.file.open("rb")
    except OSError:
        raise Http404("No such file") from None
    response = FileResponse(
        handle, as_attachment=True, filename=upload.original_name, content_type=upload.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
