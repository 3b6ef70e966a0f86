"""Taking a call in the Wagtail admin: find the caller, check who they are, open their
record, do their business with them, and close the call.

Only staff who may help callers (``contact_centre.help_callers``: the Contact centre group,
and superusers) reach these screens; anyone else in the admin gets 403. The agent's
current call is kept in their session (``services.SESSION_CALL``) and is only ever their
own open call (``services.call_for``). The resident record opens only for the current
call's caller, once the agent has recorded how they checked who the caller is; every
opening of it and every action taken for the caller is audited by the services, tagged
with the call, and closing the call gives all of them the recorded contact as reason.
"""

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views import View

from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.constants import ContactPreference, IdentityCheck, StaffAccessAction
from accounts.services import (
    ProfileError,
    RecordMergeError,
    profile_update,
    resident_record_create,
    resident_record_link_propose,
)
from forms_engine.selectors import call_draft_allow, draft_list_for_user
from payments.constants import LinkChannel
from payments.selectors import payments_owed_by
from payments.services import PaymentError, payment_link_create, payment_link_send
from portal.cases.services import CaseError, case_assisted_contact_record
from portal.interactions.constants import AvoidableCategory, Channel
from portal.interactions.services import InteractionError, assisted_contact_record
from portal.lib.forms import error_summary
from portal.lib.validation import phone_display, phone_is_uk_mobile, phone_normalise, postcode_normalise
from portal.notifications.constants import NotificationChannel
from portal.notifications.selectors import undeliverable_addresses
from portal.notifications.services import message_send

from ..forms.calls import (
    CallCloseForm,
    CallerSearchForm,
    CallStartForm,
    DraftResumeForm,
    IdentityCodeForm,
    IdentityMethodForm,
    RecordCreateForm,
    ResidentDetailsForm,
    SendByForm,
    send_by_default,
)
from ..forms.contacts import NO, YES
from ..models import Call
from ..selectors import (
    call_service_code,
    caller_search,
    forms_for_caller,
    possible_duplicates,
    records_that_may_be_theirs,
    resident_cases,
    resident_for_call,
    resident_record,
)
from ..services import (
    CODE_ATTEMPTS,
    CODE_MINUTES,
    SESSION_CALL,
    CallError,
    call_audit,
    call_caller_set,
    call_code_check,
    call_code_issue,
    call_end,
    call_for,
    call_identity_confirm,
    call_start,
)
from ..web_activity import web_activity, web_signals

HELP_CALLERS = "contact_centre.help_callers"
TAKE_A_CALL = "Take a call"
# How far back "what happened online lately" looks when the call is closed.
WEB_SIGNALS_DAYS = 7


class CallView(WagtailAdminTemplateMixin, View):
    """What every call screen shares: the permission, the agent's call, and rendering."""

    header_icon = "mobile-alt"
    template_name = ""
    needs_call = True  # without an open call, send the agent to take one
    needs_identified = False  # the caller's identity must have been checked

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(HELP_CALLERS):
            raise PermissionDenied
        self.call: Call | None = None
        call_id = request.session.get(SESSION_CALL)
        if call_id:
            self.call = call_for(staff=request.user, call_id=call_id)
            if self.call is None:
                request.session.pop(SESSION_CALL, None)
        if self.needs_call and self.call is None:
            messages.warning(request, "Take the call first: choose how the person is contacting the council")
            return redirect("contact_centre:call_start")
        if self.needs_identified and self.call is not None and not self.call.identity_checked:
            if self.call.resident_id:
                return redirect("contact_centre:call_identify", resident_id=self.call.resident_id)
            return redirect("contact_centre:call_find")
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        items = [{"url": reverse("contact_centre:call_start"), "label": TAKE_A_CALL}]
        if self.get_page_title() != TAKE_A_CALL:
            items.append({"url": "", "label": self.get_page_title()})
        return self.breadcrumbs_items + items

    @property
    def caller(self):
        """The call's identified caller, or None."""
        return self.call.resident if self.call is not None and self.call.identity_checked else None

    def render(self, errors: list[tuple[str, str]] | None = None, **context: Any) -> TemplateResponse:
        context.update(call=self.call, caller=self.caller, errors=errors or [])
        return TemplateResponse(self.request, self.template_name, self.get_context_data(**context))


def _mask_email(email: str) -> str:
    """``j***@example.org``: enough for the caller to know which inbox, before they are identified."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else ""


class CallStartView(CallView):
    """Choose how the person is contacting the council and take the call; one call at a time."""

    page_title = TAKE_A_CALL
    template_name = "contact_centre/call/start.html"
    needs_call = False

    def get(self, request):
        return self.render(form=CallStartForm())

    def post(self, request):
        form = CallStartForm(request.POST)
        if self.call is not None:
            form.add_error(None, "Finish your current call first: carry on with it, or close it")
        if not form.is_valid():
            return self.render(error_summary(form), form=form)
        try:
            call = call_start(staff=request.user, channel=form.cleaned_data["channel"])
        except CallError as error:
            form.add_error("channel", str(error))
            return self.render(error_summary(form), form=form)
        request.session[SESSION_CALL] = str(call.pk)
        return redirect("contact_centre:call_find")


class CallFindView(CallView):
    """One box to find the caller; the results tell people apart and show nothing more.

    Searched by POST: what the agent types (a name, an email, a phone number) stays out of
    URLs, so out of the browser's history and the servers' access logs."""

    page_title = "Find the caller"
    template_name = "contact_centre/call/find.html"

    def get(self, request):
        return self.render(form=CallerSearchForm(), results=None)

    def post(self, request):
        form = CallerSearchForm(request.POST)
        if not form.is_valid():
            return self.render(error_summary(form), form=form, results=None)
        return self.render(form=form, results=caller_search(form.cleaned_data["q"]))


class CallIdentifyView(CallView):
    """The agent chose a search result: record how they checked it is the caller (a question
    answered, ID seen, or a code emailed to the resident and read back) before the record opens."""

    page_title = "Check who the caller is"
    template_name = "contact_centre/call/identify.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.resident = resident_for_call(kwargs["resident_id"])

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm(HELP_CALLERS) and self.resident is None:
            raise Http404("No such resident")
        return super().dispatch(request, *args, **kwargs)

    def _chosen(self) -> bool:
        return self.call is not None and self.call.resident_id == self.resident.pk

    def get(self, request, resident_id):
        if not self._chosen():
            return redirect("contact_centre:call_find")
        if self.call.identity_checked:
            return redirect("contact_centre:record")
        return self.show()

    def show(self, method_form=None, code_form=None):
        call = self.call
        return self.render(
            error_summary(method_form, code_form),
            resident=self.resident,
            method_form=method_form or IdentityMethodForm(channel=self.call.channel),
            code_form=code_form or IdentityCodeForm(),
            can_email_code=bool(self.resident.message_email),
            masked_email=_mask_email(self.resident.message_email),
            can_text_code=phone_is_uk_mobile(self.resident.phone),
            phone_ending=self.resident.phone[-3:],
            code_sent=bool(call.code_hash and call.code_sent_at),
            code_minutes=CODE_MINUTES,
        )

    def post(self, request, resident_id):
        action = request.POST.get("action", "")
        if action == "choose":
            try:
                call_caller_set(call=self.call, resident=self.resident)
            except CallError as error:
                messages.error(request, str(error))
                return redirect("contact_centre:record")
            return redirect("contact_centre:call_identify", resident_id=self.resident.pk)
        if not self._chosen():
            return redirect("contact_centre:call_find")
        if action == "send_code":
            return self._send_code()
        if action == "send_code_sms":
            return self._send_code(by_text=True)
        if action == "check_code":
            return self._check_code()
        form = IdentityMethodForm(request.POST, channel=self.call.channel)
        if not form.is_valid():
            return self.show(method_form=form)
        try:
            call_identity_confirm(call=self.call, method=form.cleaned_data["method"])
        except CallError as error:
            form.add_error("method", str(error))
            return self.show(method_form=form)
        return self._opened()

    def _opened(self):
        messages.success(self.request, f"Identity checked. You are helping {self.resident}")
        return redirect("contact_centre:record")

    def _send_code(self, *, by_text: bool = False):
        email = "" if by_text else self.resident.message_email
        phone = self.resident.phone if by_text and phone_is_uk_mobile(self.resident.phone) else ""
        if not (email or phone):
            missing = "mobile number" if by_text else "email address"
            messages.error(self.request, f"This resident has no {missing}, so check who they are another way")
            return redirect("contact_centre:call_identify", resident_id=self.resident.pk)
        try:
            with transaction.atomic():
                code = call_code_issue(call=self.call, by_text=by_text)
                sent = message_send(
                    key="contact_centre/call_code",
                    user=self.resident,
                    email=email,
                    phone=phone,
                    channel=NotificationChannel.SMS if by_text else NotificationChannel.EMAIL,
                    context={"code": code, "minutes": CODE_MINUTES},
                )
                if sent is None:
                    raise CallError("The code could not be sent")
        except CallError:
            where = "mobile number (it replied STOP, or texts to it fail)" if by_text else "address"
            messages.error(
                self.request,
                f"Codes to this resident’s {where} could not be delivered, so check who they are another way",
            )
            return redirect("contact_centre:call_identify", resident_id=self.resident.pk)
        to = f"their mobile ending {phone[-3:]}" if by_text else _mask_email(email)
        messages.success(self.request, f"Code sent to {to}. Ask the caller to read it back to you.")
        return redirect("contact_centre:call_identify", resident_id=self.resident.pk)

    def _check_code(self):
        form = IdentityCodeForm(self.request.POST)
        if not form.is_valid():
            return self.show(code_form=form)
        try:
            matched = call_code_check(call=self.call, code=form.cleaned_data["code"])
        except CallError as error:
            form.add_error("code", str(error))
            return self.show(code_form=form)
        if not matched:
            self.call.refresh_from_db(fields=["code_attempts"])
            left = max(CODE_ATTEMPTS - self.call.code_attempts, 0)
            message = (
                f"The code is not right. Check it with the caller: {left} "
                f"{'try' if left == 1 else 'tries'} left"
                if left
                else "The code was entered wrongly too many times. Send a new one"
            )
            form.add_error("code", message)
            return self.show(code_form=form)
        return self._opened()


class RecordView(CallView):
    """The identified caller's resident record: one view of them across every channel."""

    page_title = "Resident record"
    template_name = "contact_centre/call/record.html"
    needs_identified = True

    def get_page_title(self):
        return str(self.caller)

    def get(self, request):
        resident = self.caller
        record = resident_record(resident)
        record.web_activity = web_activity(resident=resident, days=30)
        drafts = {str(summary.draft.pk) for summary in record.drafts}
        return self.render(
            record=record,
            resident=resident,
            phone=phone_display(resident.phone),
            resumable_drafts=drafts,
            identity=IdentityCheck(self.call.identity).label,
            at_desk=self.call.channel == Channel.FACE_TO_FACE,
            undeliverable=undeliverable_addresses(resident),
            send_by=send_by_default(resident),
            can_send_link=bool(resident.message_email or resident.phone),
        )


class RecordEditView(CallView):
    """Change the caller's contact details, as they ask: the same checks as their own profile."""

    page_title = "Change contact details"
    template_name = "contact_centre/call/record_edit.html"
    needs_identified = True

    def get(self, request):
        resident = self.caller
        initial = {name: getattr(resident, name) for name in ResidentDetailsForm.base_fields}
        return self.render(form=ResidentDetailsForm(initial=initial), resident=resident)

    def post(self, request):
        form = ResidentDetailsForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    profile_update(user=self.caller, **form.profile())
                    call_audit(call=self.call, action=StaffAccessAction.RECORD_UPDATED)
            except ProfileError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, "Contact details changed")
                return redirect("contact_centre:record")
        return self.render(error_summary(form), form=form, resident=self.caller)


class RecordCreateView(CallView):
    """A record for a caller with no account (or no email): no password, no sign-in.

    Made from what the caller said, so the agent is taken to have checked who they are by
    their address and contact details; the record opens at once."""

    page_title = "Create a record for the caller"
    template_name = "contact_centre/call/record_create.html"

    def get(self, request):
        return self.render(form=RecordCreateForm(initial={"contact_preference": ContactPreference.POST}))

    def post(self, request):
        form = RecordCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if data["contact_preference"] == ContactPreference.EMAIL and not data["contact_email"].strip():
                form.add_error(
                    "contact_email",
                    "Enter an email address for messages, or choose another way to contact them",
                )
        if form.is_valid() and request.POST.get("new_record") != "yes":
            profile = form.profile()
            try:
                known = possible_duplicates(
                    full_name=profile.get("full_name", ""),
                    phone=phone_normalise(profile.get("phone", "")),
                    postcode=postcode_normalise(profile.get("postcode", "")),
                )
            except ValidationError:
                known = []  # the service says what is wrong with them
            if known:
                return self.render(form=form, duplicates=known)
        if form.is_valid():
            try:
                with transaction.atomic():
                    resident = resident_record_create(
                        staff=request.user,
                        contact_email=form.cleaned_data["contact_email"],
                        **form.profile(),
                    )
                    call_caller_set(call=self.call, resident=resident)
                    call_audit(call=self.call, action=StaffAccessAction.RECORD_CREATED)
                    call_identity_confirm(call=self.call, method=IdentityCheck.ADDRESS_AND_CONTACT)
            except ProfileError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, f"Record created for {resident}. You are helping them now")
                return redirect("contact_centre:record")
        return self.render(error_summary(form), form=form)


class CallFormsView(CallView):
    """The live forms the agent can fill in with the caller (any of them, for an identified
    caller; for one who is not, only those that need no personal record)."""

    page_title = "Fill in a form with the caller"
    template_name = "contact_centre/call/forms.html"

    def get(self, request):
        identified = self.call.identity_checked
        return self.render(forms=forms_for_caller(identified=identified), identified=identified)


class DraftResumeView(CallView):
    """Carry on with a form the caller started, exactly where they stopped, with their consent."""

    page_title = "Carry on with the caller’s form"
    template_name = "contact_centre/call/draft_resume.html"
    needs_identified = True

    def _summary(self, draft):
        for summary in draft_list_for_user(self.caller):
            if summary.draft.pk == draft:
                return summary
        raise Http404("No such form in progress")

    def get(self, request, draft):
        return self.render(form=DraftResumeForm(), summary=self._summary(draft))

    def post(self, request, draft):
        summary = self._summary(draft)
        form = DraftResumeForm(request.POST)
        if not form.is_valid():
            return self.render(error_summary(form), form=form, summary=summary)
        call_audit(call=self.call, action=StaffAccessAction.DRAFT_RESUMED, detail=summary.title)
        call_draft_allow(request, call_id=self.call.pk, draft_id=summary.draft.pk)
        return HttpResponseRedirect(summary.resume_url)


class PaymentLinkView(CallView):
    """A fee or bill the caller owes: email them a link to pay, or (at a desk) open the
    payment page for them to enter their card themselves. Staff never type card details."""

    page_title = "Take a payment"
    needs_identified = True
    http_method_names = ["post"]

    def post(self, request):
        owed = payments_owed_by(self.caller)
        payment = next((fee for fee in owed.fees if str(fee.pk) == request.POST.get("payment")), None)
        bill = next((bill for bill in owed.bills if str(bill.pk) == request.POST.get("bill")), None)
        if payment is None and bill is None:
            raise Http404("Nothing owed with this id")
        what = payment.description if payment is not None else f"bill {bill.reference}"
        reference = payment.reference if payment is not None else bill.reference
        try:
            if request.POST.get("action") == "open":
                if self.call.channel != Channel.FACE_TO_FACE:
                    messages.error(
                        request, "Open the payment page only at a desk. Send the caller a link instead"
                    )
                    return redirect("contact_centre:record")
                with transaction.atomic():
                    _link, url = payment_link_create(
                        staff=request.user, payment=payment, bill=bill, resident=self.caller
                    )
                    call_audit(call=self.call, action=StaffAccessAction.PAYMENT_PAGE_OPENED, detail=reference)
                return HttpResponseRedirect(url)
            # Without a choice (an older page), the caller's own preference.
            chosen = request.POST.get("send_by") or send_by_default(self.caller)
            form = SendByForm({"send_by": chosen}, resident=self.caller)
            if not form.is_valid():
                for error in form.errors["send_by"]:
                    messages.error(request, error)
                return redirect("contact_centre:record")
            by_text = form.cleaned_data["send_by"] == NotificationChannel.SMS
            to = phone_display(self.caller.phone) if by_text else self.caller.message_email
            with transaction.atomic():
                payment_link_send(
                    staff=request.user,
                    payment=payment,
                    bill=bill,
                    resident=self.caller,
                    email="" if by_text else self.caller.message_email,
                    phone=self.caller.phone if by_text else "",
                    channel=LinkChannel.SMS if by_text else LinkChannel.EMAIL,
                )
                call_audit(call=self.call, action=StaffAccessAction.PAYMENT_LINK_SENT, detail=reference)
        except PaymentError as error:
            messages.error(request, str(error))
            return redirect("contact_centre:record")
        messages.success(request, f"Payment link for {what} sent to {to}")
        return redirect("contact_centre:record")


class RecordLinkView(CallView):
    """Offer a record kept without an account to the identified caller's account, when they
    say it is theirs. Nothing moves until they confirm it in My account."""

    page_title = "Offer a record to their account"
    needs_identified = True
    http_method_names = ["post"]

    def post(self, request):
        record = next(
            (r for r in records_that_may_be_theirs(self.caller) if str(r.pk) == request.POST.get("record")),
            None,
        )
        if record is None:
            raise Http404("No such record")
        try:
            resident_record_link_propose(
                record=record, account=self.caller, staff=request.user, call=self.call.pk
            )
        except RecordMergeError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                "Record offered. When they next sign in, My account asks them to review it "
                "and add it to their account",
            )
        return redirect("contact_centre:record")


class CallUnknownView(CallView):
    """Help a caller without identifying them: only what needs no personal data."""

    page_title = "Help without identifying the caller"
    http_method_names = ["get", "post"]

    def get(self, request):
        return redirect("contact_centre:call_forms")

    def post(self, request):
        call_caller_set(call=self.call, resident=None)
        messages.info(
            request, "The caller is not identified: you can help with forms that need no personal record"
        )
        return redirect("contact_centre:call_forms")


class CallCloseView(CallView):
    """Record the contact and close the call, prefilled from the call and the caller's web
    activity; the agent confirms or changes each answer. All of it, or none of it."""

    page_title = "Close the call"
    template_name = "contact_centre/call/close.html"

    def _form(self, data=None):
        resident = self.caller
        cases = list(resident_cases(resident)[:20]) if resident is not None else []
        form = CallCloseForm(
            data,
            call=self.call,
            cases=cases,
            email=resident.message_email if resident is not None else "",
            for_user=self.request.user,
        )
        if data is None:
            form.initial.update(self._prefill())
        return form

    def _prefill(self) -> dict[str, Any]:
        """What the call and the caller's last week online suggest; ``self.signals`` says why."""
        call, resident = self.call, self.caller
        self.signals = None
        if resident is not None:
            self.signals = web_signals(
                resident=resident, since=timezone.now() - timedelta(days=WEB_SIGNALS_DAYS)
            )
        initial: dict[str, Any] = {}
        service = call_service_code(staff=call.staff, since=call.started_at)
        if service is None and self.signals is not None:
            service = self.signals.service_code
        if service:
            initial["service_code"] = service
        if self.signals is not None:
            initial["tried_online"] = YES if self.signals.tried_online else NO
            if self.signals.failed_online:
                initial["avoidable"] = YES
                initial["avoidable_category"] = AvoidableCategory.FAILED_ONLINE
        return initial

    def get(self, request):
        form = self._form()
        return self.render(form=form, signals=self.signals)

    def post(self, request):
        form = self._form(request.POST)
        self.signals = None
        if not form.is_valid():
            return self.render(error_summary(form), form=form, signals=None)
        try:
            contact = self._record(form)
        except (InteractionError, CaseError, CallError) as error:
            form.add_error(None, str(error))
            return self.render(error_summary(form), form=form, signals=None)
        request.session.pop(SESSION_CALL, None)
        who = f" with {contact.user}" if contact.user_id else ""
        messages.success(request, f"Call{who} closed and the contact recorded. Ready for the next call")
        return redirect("contact_centre:call_start")

    @transaction.atomic
    def _record(self, form):
        call, resident = self.call, self.caller
        kwargs = form.service_kwargs()
        case = form.chosen_case
        if case is not None:
            contact = case_assisted_contact_record(case=case, staff=self.request.user, **kwargs).interaction
        else:
            contact = assisted_contact_record(staff=self.request.user, resident=resident, **kwargs)
        if resident is not None:
            call_audit(call=call, action=StaffAccessAction.CONTACT_RECORDED)
            link = form.cleaned_data.get("online_help_url")
            if form.cleaned_data.get("online_help") and link:
                sent = message_send(
                    key="contact_centre/online_help",
                    user=resident,
                    channel=form.cleaned_data["online_help_by"],
                    context={"name": resident.full_name, "link": link},
                )
                if sent is None:
                    raise CallError("The link could not be sent. Send it the other way, or leave it blank")
                call_audit(call=call, action=StaffAccessAction.ONLINE_HELP_SENT, detail=link)
        call_end(call=call, contact=contact)
        return contact


call_urlpatterns = [
    path("contact-centre/", CallStartView.as_view(), name="call_start"),
    path("contact-centre/find/", CallFindView.as_view(), name="call_find"),
    path("contact-centre/caller/<int:resident_id>/", CallIdentifyView.as_view(), name="call_identify"),
    path("contact-centre/record/", RecordView.as_view(), name="record"),
    path("contact-centre/record/details/", RecordEditView.as_view(), name="record_edit"),
    path("contact-centre/record/new/", RecordCreateView.as_view(), name="record_create"),
    path("contact-centre/forms/", CallFormsView.as_view(), name="call_forms"),
    path("contact-centre/drafts/<uuid:draft>/", DraftResumeView.as_view(), name="draft_resume"),
    path("contact-centre/payment-link/", PaymentLinkView.as_view(), name="payment_link"),
    path("contact-centre/record/offer/", RecordLinkView.as_view(), name="record_link"),
    path("contact-centre/unknown/", CallUnknownView.as_view(), name="call_unknown"),
    path("contact-centre/close/", CallCloseView.as_view(), name="call_close"),
]
