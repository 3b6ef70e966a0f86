"""The staff workspace for cases, inside the Wagtail admin: the queue and the case view.

The queue is a plain admin view rather than Wagtail's generic IndexView: its rows are
scoped per officer by ``permissions.cases_visible_to_staff``, its bulk actions go case by
case through the transition service (reporting each refusal), and it works without
JavaScript. Every action calls one service; the view only parses and reports.
"""

from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.forms.renderers import DjangoTemplates
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import TemplateView

from wagtail.admin import messages
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from portal.lib.pagination import CappedPaginator

from .constants import (
    MESSAGE_REQUIRED_FOR,
    OPEN_STATUSES,
    SLA_RUNNING_STATUSES,
    STAFF_LABELS,
    Actor,
    CaseStatus,
    allowed_moves,
)
from .forms import (
    BulkForm,
    FastSelect,
    NoteForm,
    OfficerMessageForm,
    StatusForm,
    SupportNeedsStaffForm,
    case_workers,
)
from .models import CaseAttachment, Team
from .permissions import staff_can_use_queue
from .selectors import (
    case_answer_rows,
    case_for_staff,
    case_full_timeline,
    case_is_overdue,
    case_notifications,
    case_queue_search,
    case_queue_visible,
    case_satisfaction_for_staff,
    case_service_choices,
    case_support_needs,
    cases_needing_support,
    cases_with_support_flag,
    due_soon_cutoff,
)
from .services import (
    CaseError,
    SupportNeedsError,
    case_assign,
    case_note_add,
    case_officer_message,
    case_staff_transition,
    case_support_needs_update,
)
from .views import attachment_response

PER_PAGE = 50
# The queue counts up to this many matching cases; past it, it says "more than 1,000 cases"
# and counts them all only for the last page.
COUNT_CAP = 1000
SORTS = {
    "due": ("due_on", "pk"),
    "-due": ("-due_on", "-pk"),
    "newest": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
}


def _flash_with_email_outcome(request, event, done: str) -> None:
    """Tell the officer what happened, including whether the resident was actually emailed
    (``CaseEvent.data["notify"]``): never "sent" when no email was written."""
    if event.notify_emailed:
        ways = {"sms": "sent a text message", "letter": "sent a letter"}
        told = ways.get(event.data.get("notify"), "emailed")
        messages.success(request, f"{done}. The resident has been {told}.")
    elif event.notify_problem:
        messages.warning(request, f"{done}. {event.notify_problem}")
    else:
        messages.success(request, done)


class QueueFilterForm(forms.Form):
    default_renderer = DjangoTemplates

    q = forms.CharField(
        label="Search",
        help_text="Part of a reference, the resident's name or email, a postcode or a phone number",
        required=False,
        max_length=254,
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        widget=FastSelect,
        choices=[("", "All open"), ("all", "Any status")] + [(s.value, STAFF_LABELS[s]) for s in CaseStatus],
    )
    service = forms.TypedChoiceField(
        label="Service", required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    team = forms.ModelChoiceField(
        label="Team", required=False, queryset=Team.objects.all(), empty_label="Any team", widget=FastSelect
    )
    assignee = forms.ChoiceField(label="Assigned to", required=False, widget=FastSelect)
    due = forms.ChoiceField(
        label="Deadline",
        required=False,
        widget=FastSelect,
        choices=[("", "Any"), ("overdue", "Overdue"), ("soon", "Due within 2 working days")],
    )
    support = forms.ChoiceField(
        label="Extra support",
        required=False,
        widget=FastSelect,
        choices=[("", "Any"), ("yes", "Needs extra support")],
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        widget=FastSelect,
        choices=[
            ("due", "Due date, soonest first"),
            ("-due", "Due date, latest first"),
            ("newest", "Newest first"),
            ("oldest", "Oldest first"),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "Any service")] + case_service_choices()
        self.fields["assignee"].choices = [("", "Anyone"), ("me", "Me"), ("none", "Nobody")] + [
            (str(u.pk), u.full_name or u.email) for u in case_workers()
        ]


def queue_filter(queryset, data: dict, user, today=None):
    """Apply the queue's filters, search and sort (``data`` is a valid QueueFilterForm's data)."""
    today = today or timezone.localdate()
    status = data.get("status") or ""
    if status == "":
        queryset = queryset.filter(status__in=sorted(OPEN_STATUSES))
    elif status != "all":
        queryset = queryset.filter(status=status)
    if data.get("service"):
        queryset = queryset.filter(service_code=data["service"])
    if data.get("team"):
        queryset = queryset.filter(team=data["team"])
    assignee = data.get("assignee") or ""
    if assignee == "me":
        queryset = queryset.filter(assignee=user)
    elif assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee:
        queryset = queryset.filter(assignee_id=assignee)
    due = data.get("due") or ""
    running = sorted(SLA_RUNNING_STATUSES)
    if due == "overdue":
        queryset = queryset.filter(status__in=running, due_on__lt=today)
    elif due == "soon":
        queryset = queryset.filter(status__in=running, due_on__gte=today, due_on__lte=due_soon_cutoff(today))
    if data.get("q"):
        queryset = case_queue_search(queryset, data["q"])
    queryset = cases_with_support_flag(queryset)
    if data.get("support") == "yes":
        queryset = cases_needing_support(queryset)
    return queryset.order_by(*SORTS.get(data.get("sort") or "due", SORTS["due"]))


class CaseQueueView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "cases/admin/queue.html"
    page_title = "Cases"
    header_icon = "tasks"

    def dispatch(self, request, *args, **kwargs):
        if not staff_can_use_queue(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": "Cases"}]

    @cached_property
    def visible(self):
        return case_queue_visible(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters = QueueFilterForm(self.request.GET or None, user=self.request.user)
        data = filters.cleaned_data if filters.is_valid() else {}
        queryset = queue_filter(self.visible, data, self.request.user).select_related(
            "team", "assignee", "resident"
        )
        paginator = CappedPaginator(queryset, PER_PAGE, cap=COUNT_CAP)
        number = self.request.GET.get("p")
        page = paginator.last_page() if number == "last" else paginator.get_page(number)
        today = timezone.localdate()
        for case in page.object_list:
            case.overdue = case_is_overdue(case, today)
        query = self.request.GET.copy()
        query.pop("p", None)
        context.update(
            filters=filters,
            page_obj=page,
            cases=page.object_list,
            query=query.urlencode(),
            bulk=kwargs.get("bulk") or BulkForm(cases_queryset=self.visible),
            selected=set(self.request.POST.getlist("cases")) if self.request.method == "POST" else set(),
            can_change=self.request.user.has_perm("cases.change_case"),
        )
        return context

    def post(self, request, *args, **kwargs):
        """Bulk actions: each ticked case goes through the services on its own; refusals are listed."""
        if not request.user.has_perm("cases.change_case"):
            raise PermissionDenied
        form = BulkForm(request.POST, cases_queryset=self.visible)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(bulk=form))
        done, failed = [], []
        data = form.cleaned_data
        for case in data["cases"]:
            try:
                if data["action"] == "assign":
                    case_assign(case=case, actor=request.user, assignee=data["assignee"], team=data["team"])
                else:
                    case_staff_transition(
                        case=case, actor=request.user, to=data["to"], message=data["message"], request=request
                    )
            except CaseError as error:
                failed.append(f"{case.reference}: {error}")
            else:
                done.append(case.reference)
        if done:
            verb = "Assigned" if data["action"] == "assign" else "Changed the status of"
            messages.success(
                request, f"{verb} {len(done)} case{'s' if len(done) != 1 else ''}: {', '.join(done)}"
            )
        if failed:
            messages.error(
                request,
                f"{len(failed)} case{'s were' if len(failed) != 1 else ' was'} not changed. "
                + " ".join(failed),
            )
        return HttpResponseRedirect(request.get_full_path())


class WorkloadPanel(Component):
    """On the admin home, for case workers: their open cases, and the cases they see that are
    overdue or due soon, each linking to the queue filtered to exactly those cases."""

    name = "case_workload"
    template_name = "cases/admin/home_panel.html"
    order = 50  # before Wagtail's own panels (moderation is 100)

    def __init__(self, counts: dict[str, int]):
        self.counts = counts

    def get_context_data(self, parent_context):
        queue = reverse("cases_admin:queue")
        return {
            "rows": [
                (self.counts["mine"], "assigned to you and open", f"{queue}?assignee=me"),
                (self.counts["overdue"], "overdue", f"{queue}?due=overdue"),
                (self.counts["due_soon"], "due within 2 working days", f"{queue}?due=soon"),
            ],
            "queue_url": queue,
        }


class CaseDetailView(WagtailAdminTemplateMixin, View):
    template_name = "cases/admin/case.html"
    header_icon = "tasks"
    ACTIONS = ("assign_me", "status", "note", "message")

    def dispatch(self, request, pk):
        self.case = case_for_staff(request.user, pk)
        return super().dispatch(request, pk)

    def get_page_title(self):
        return f"{self.case.reference}: {self.case.title}"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("cases_admin:queue"), "label": "Cases"},
            {"url": "", "label": self.case.reference},
        ]

    def _forms(self, bound=None, action=""):
        moves = allowed_moves(self.case.status, Actor.STAFF)
        data = bound if bound is not None else None
        return {
            "status_form": StatusForm(data if action == "status" else None, moves=moves),
            "note_form": NoteForm(data if action == "note" else None),
            "message_form": OfficerMessageForm(data if action == "message" else None),
        }

    def get(self, request, pk):
        return self.render(self._forms())

    def render(self, forms_, status=200):
        case = self.case
        context = self.get_context_data(
            case=case,
            # A page of the timeline, newest first; older ones through plain links
            # (``?timeline_page=``) to this same view, under the same visibility check.
            timeline=case_full_timeline(case, page=self.request.GET.get("timeline_page")),
            timeline_url=reverse("cases_admin:case", args=[case.pk]),
            notifications=list(case_notifications(case)),
            rows=case_answer_rows(case),
            overdue=case_is_overdue(case),
            can_change=request_can_change(self.request),
            message_required=sorted(MESSAGE_REQUIRED_FOR),
            attachments=list(case.attachments.all()),
            payments=list(case.payments.order_by("created_at")),
            satisfaction=case_satisfaction_for_staff(case),
            can_view_payments=self.request.user.has_perm("payments.view_payment"),
            can_refund=self.request.user.has_perm("payments.refund_payment"),
            support=case_support_needs(case),
            **forms_,
        )
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def post(self, request, pk):
        if not request_can_change(request):
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action not in self.ACTIONS:
            raise Http404("No such action")
        forms_ = self._forms(request.POST, action)
        case = self.case
        try:
            if action == "assign_me":
                case_assign(case=case, actor=request.user, assignee=request.user)
                messages.success(request, f"{case.reference} is assigned to you")
            elif action == "status":
                form = forms_["status_form"]
                if not form.is_valid():
                    return self.render(forms_)
                to = form.cleaned_data["to"]
                event = case_staff_transition(
                    case=case,
                    actor=request.user,
                    to=to,
                    message=form.cleaned_data["message"],
                    request=request,
                )
                _flash_with_email_outcome(
                    request, event, f"{case.reference} is now {STAFF_LABELS[CaseStatus(to)].lower()}"
                )
            elif action == "note":
                form = forms_["note_form"]
                if not form.is_valid():
                    return self.render(forms_)
                case_note_add(case=case, actor=request.user, message=form.cleaned_data["message"])
                messages.success(request, "Note added")
            else:
                form = forms_["message_form"]
                if not form.is_valid():
                    return self.render(forms_)
                event = case_officer_message(
                    case=case, actor=request.user, message=form.cleaned_data["message"], request=request
                )
                _flash_with_email_outcome(request, event, "Message added to the resident's timeline")
        except CaseError as error:
            target = {"status": "status_form", "note": "note_form", "message": "message_form"}.get(action)
            if target is None:
                messages.error(request, str(error))
                return HttpResponseRedirect(reverse("cases_admin:case", args=[case.pk]))
            forms_[target].add_error(None, str(error))
            return self.render(forms_)
        return HttpResponseRedirect(reverse("cases_admin:case", args=[case.pk]))


def request_can_change(request) -> bool:
    return request.user.has_perm("cases.change_case")


def staff_attachment_download(request, pk, attachment_pk):
    case = case_for_staff(request.user, pk)
    attachment = get_object_or_404(CaseAttachment, pk=attachment_pk, case=case)
    return attachment_response(attachment)


def queue_url(**params) -> str:
    return reverse("cases_admin:queue") + ("?" + urlencode(params) if params else "")


class CaseSupportNeedsView(WagtailAdminTemplateMixin, View):
    """Record or change the extra support a person needs, after a conversation about this case."""

    template_name = "cases/admin/support_needs.html"
    header_icon = "user"

    def dispatch(self, request, pk):
        self.case = case_for_staff(request.user, pk)
        if not request_can_change(request):
            raise PermissionDenied
        return super().dispatch(request, pk)

    def get_page_title(self):
        return f"Support needs: {self.case.reference}"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("cases_admin:queue"), "label": "Cases"},
            {"url": reverse("cases_admin:case", args=[self.case.pk]), "label": self.case.reference},
            {"url": "", "label": "Support needs"},
        ]

    def get(self, request, pk):
        current = case_support_needs(self.case)
        initial = (
            {"needs": current.needs, "language": current.language, "details": current.details}
            if current
            else {}
        )
        return self.render(SupportNeedsStaffForm(initial=initial), current)

    def render(self, form, current):
        context = self.get_context_data(case=self.case, form=form, support=current)
        return TemplateResponse(self.request, self.template_name, context)

    def post(self, request, pk):
        form = SupportNeedsStaffForm(request.POST)
        if not form.is_valid():
            return self.render(form, case_support_needs(self.case))
        try:
            record = case_support_needs_update(case=self.case, actor=request.user, **form.cleaned_data)
        except SupportNeedsError as error:
            form.add_error(None, str(error))
            return self.render(form, case_support_needs(self.case))
        messages.success(request, "Support needs recorded" if record else "Support needs removed")
        return HttpResponseRedirect(reverse("cases_admin:case", args=[self.case.pk]) + "#support-heading")
