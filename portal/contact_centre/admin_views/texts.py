"""*Text messages to triage*: texts residents sent to the council's number that landed on no
case (no request waiting for their reply, or a number nobody has).

An agent who may help callers (``contact_centre.help_callers``) reads each one and deals with
it: adds it to one of the sender's open requests, replies by text, or records it as an
inbound contact with channel SMS, then it leaves the list. A text from a resident's number
shows their name and open requests: every look at it is audited on their record, as every
other contact-centre screen is; opening their full record takes a call (channel SMS) and a
check of who they are, as for any caller.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views import View

from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.constants import StaffAccessAction
from accounts.services import staff_access_record
from portal.cases.constants import OPEN_STATUSES
from portal.interactions.constants import Channel
from portal.interactions.services import InteractionError, assisted_contact_record
from portal.lib.forms import error_summary
from portal.lib.validation import phone_display
from portal.notifications.constants import InboundHandled
from portal.notifications.inbound import (
    InboundTextError,
    inbound_text_add_to_case,
    inbound_text_mark_handled,
    inbound_text_reply,
)
from portal.notifications.selectors import (
    inbound_text_for_staff,
    inbound_texts_recent,
    inbound_texts_to_triage,
)

from ..forms.texts import TextContactForm, TextReplyForm, TextToCaseForm
from ..selectors import resident_cases
from ..services import SESSION_CALL, CallError, call_caller_set, call_for, call_start
from .calls import HELP_CALLERS

TEXTS_TO_TRIAGE = "Text messages to triage"


class TextView(WagtailAdminTemplateMixin, View):
    header_icon = "mobile-alt"
    template_name = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(HELP_CALLERS):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        items = [{"url": reverse("contact_centre:texts"), "label": TEXTS_TO_TRIAGE}]
        if self.get_page_title() != TEXTS_TO_TRIAGE:
            items.append({"url": "", "label": self.get_page_title()})
        return self.breadcrumbs_items + items

    def render(self, errors: list[tuple[str, str]] | None = None, **context: Any) -> TemplateResponse:
        context["errors"] = errors or []
        return TemplateResponse(self.request, self.template_name, self.get_context_data(**context))


class TextListView(TextView):
    """The texts waiting for the contact centre, oldest first, and the ones dealt with lately."""

    page_title = TEXTS_TO_TRIAGE
    template_name = "contact_centre/texts/list.html"

    def get(self, request):
        return self.render(
            texts=list(inbound_texts_to_triage()[:200]), recent=list(inbound_texts_recent(limit=20))
        )


class TextDetailView(TextView):
    """One text: who sent it, and what to do with it."""

    page_title = "Text message"
    template_name = "contact_centre/texts/detail.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.text = inbound_text_for_staff(kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if request.user.has_perm(HELP_CALLERS) and self.text is None:
            raise Http404("No such text message")
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"Text message from {self.sender_label}" if self.text is not None else self.page_title

    @property
    def sender_label(self) -> str:
        text = self.text
        return str(text.user) if text.user_id else phone_display(text.source_number) or text.source_number

    def _open_cases(self) -> list:
        resident = self.text.user
        if resident is None:
            return []
        return [case for case in resident_cases(resident)[:50] if case.status in OPEN_STATUSES]

    def show(self, *, case_form=None, reply_form=None, contact_form=None, audit: bool = True):
        text = self.text
        cases = self._open_cases()
        if audit and text.user_id:
            staff_access_record(
                staff=self.request.user,
                resident=text.user,
                action=StaffAccessAction.RECORD_OPENED,
                channel=Channel.SMS,
                detail="Read a text message you sent us",
            )
        return self.render(
            error_summary(case_form, reply_form, contact_form),
            text=text,
            sender=self.sender_label,
            number=phone_display(text.source_number) or text.source_number,
            cases=cases,
            case_form=case_form or (TextToCaseForm(cases=cases) if cases else None),
            reply_form=reply_form or TextReplyForm(),
            contact_form=contact_form or TextContactForm(for_user=self.request.user),
        )

    def get(self, request, pk):
        return self.show()

    def post(self, request, pk):
        if not self.text.to_triage:
            messages.error(request, "This text message has already been dealt with")
            return redirect("contact_centre:text", pk=self.text.pk)
        action = request.POST.get("action", "")
        handler = {
            "add_to_case": self._add_to_case,
            "reply": self._reply,
            "record": self._record,
            "no_action": self._no_action,
            "open_record": self._open_record,
        }.get(action)
        if handler is None:
            messages.error(request, "Choose what to do with the text message")
            return redirect("contact_centre:text", pk=self.text.pk)
        return handler()

    def _done(self, message: str):
        messages.success(self.request, message)
        return redirect("contact_centre:texts")

    def _add_to_case(self):
        cases = self._open_cases()
        form = TextToCaseForm(self.request.POST, cases=cases)
        if not form.is_valid():
            return self.show(case_form=form, audit=False)
        case = form.chosen_case
        try:
            with transaction.atomic():
                inbound_text_add_to_case(inbound=self.text, case=case, staff=self.request.user)
                staff_access_record(
                    staff=self.request.user,
                    resident=self.text.user,
                    action=StaffAccessAction.CONTACT_RECORDED,
                    channel=Channel.SMS,
                    detail=f"Added your text message to {case.reference}",
                )
        except InboundTextError as error:
            form.add_error("case", str(error))
            return self.show(case_form=form, audit=False)
        return self._done(f"Text message added to {case.reference}")

    def _reply(self):
        form = TextReplyForm(self.request.POST)
        if not form.is_valid():
            return self.show(reply_form=form, audit=False)
        try:
            with transaction.atomic():
                inbound_text_reply(
                    inbound=self.text, staff=self.request.user, message=form.cleaned_data["message"]
                )
                if self.text.user_id:
                    staff_access_record(
                        staff=self.request.user,
                        resident=self.text.user,
                        action=StaffAccessAction.CONTACT_RECORDED,
                        channel=Channel.SMS,
                        detail="Replied to your text message by text",
                    )
        except InboundTextError as error:
            form.add_error("message", str(error))
            return self.show(reply_form=form, audit=False)
        return self._done(f"Reply sent by text to {self.sender_label}")

    def _record(self):
        form = TextContactForm(self.request.POST, for_user=self.request.user)
        if not form.is_valid():
            return self.show(contact_form=form, audit=False)
        text = self.text
        try:
            with transaction.atomic():
                assisted_contact_record(
                    staff=self.request.user,
                    channel=Channel.SMS,
                    resident=text.user,
                    occurred_at=text.date_received,
                    extras={"inbound_text": text.pk},
                    **form.service_kwargs(),
                )
                inbound_text_mark_handled(
                    inbound=text, staff=self.request.user, how=InboundHandled.CONTACT_RECORDED
                )
                if text.user_id:
                    staff_access_record(
                        staff=self.request.user,
                        resident=text.user,
                        action=StaffAccessAction.CONTACT_RECORDED,
                        channel=Channel.SMS,
                        detail="Recorded your text message as a contact",
                    )
        except (InteractionError, InboundTextError) as error:
            form.add_error(None, str(error))
            return self.show(contact_form=form, audit=False)
        return self._done("Text message recorded as a contact (text message)")

    def _no_action(self):
        try:
            inbound_text_mark_handled(
                inbound=self.text, staff=self.request.user, how=InboundHandled.NO_ACTION
            )
        except InboundTextError as error:
            messages.error(self.request, str(error))
            return redirect("contact_centre:text", pk=self.text.pk)
        return self._done("Text message marked as dealt with")

    def _open_record(self):
        """Take the text as a contact (channel SMS) with its sender as the caller: their record
        opens once the agent has checked who they are, as for a call."""
        request, resident = self.request, self.text.user
        if resident is None:
            raise Http404("Nobody has this number")
        if call_for(staff=request.user, call_id=request.session.get(SESSION_CALL)) is not None:
            messages.error(request, "Finish your current call first: carry on with it, or close it")
            return redirect("contact_centre:text", pk=self.text.pk)
        try:
            with transaction.atomic():
                call = call_start(staff=request.user, channel=Channel.SMS)
                call_caller_set(call=call, resident=resident)
        except CallError as error:
            messages.error(request, str(error))
            return redirect("contact_centre:text", pk=self.text.pk)
        request.session[SESSION_CALL] = str(call.pk)
        return redirect("contact_centre:call_identify", resident_id=resident.pk)


text_urlpatterns = [
    path("contact-centre/texts/", TextListView.as_view(), name="texts"),
    path("contact-centre/texts/<int:pk>/", TextDetailView.as_view(), name="text"),
]
