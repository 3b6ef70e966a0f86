"""Finance staff's workspace in the Wagtail admin: payments, refunds, bills and reconciliation.

Payments are read-only records here: nobody (not even a superuser) edits or deletes one
through the admin; money moves only through ``services`` (refunds), which write the
history. The Finance group gets ``view_payment``, ``refund_payment``,
``reconcile_payments`` and the bill permissions (migration 0002).

Who sees what: Finance (``view_payment``) sees every payment, for a request or a bill,
since settling and refunding the whole ledger is their work; bills (payers' names and
postcodes) need a bill permission. Anyone else gets 404 for a payment's or a bill's URL,
as for one that does not exist: case officers see a request's payments on the case, and
only on a case they can see (the case queue's rule, from ``portal.cases.selectors``).
"""

from datetime import timedelta
from functools import wraps

import django_filters

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property

from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy

from portal.cases.selectors import staff_can_view_case
from portal.lib.csv import SafeSpreadsheetExportMixin
from portal.lib.dates import datetime_display
from portal.lib.forms import error_summary
from portal.lib.money import pounds_value
from portal.lib.postcodes import postcode_display

from .constants import BillStatus, PaymentStatus, Provider, bill_status_choices
from .forms import BillImportForm, RefundForm, amount_clean
from .models import Bill, Payment
from .reconciliation import reconciliation_report, report_csv
from .services import PaymentError, bill_status_set, bills_import, payment_refund


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Payments can be viewed (with ``view_payment``) and never added, edited or deleted here."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "delete"):
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


payment_permission_policy = ReadOnlyPermissionPolicy(Payment)


class NoDeletePermissionPolicy(ModelPermissionPolicy):
    """Bills are never deleted (payments point at them): a bill no longer owed is cancelled."""

    def user_has_permission(self, user, action):
        return action != "delete" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


bill_permission_policy = NoDeletePermissionPolicy(Bill)


def can_refund(user) -> bool:
    return user.has_perm("payments.refund_payment")


def payments_visible_to_staff(user) -> QuerySet[Payment]:
    """The payments ``user`` may open in Finance: all of them with ``view_payment``, else none."""
    if user.is_authenticated and user.has_perm("payments.view_payment"):
        return Payment.objects.all()
    return Payment.objects.none()


def bills_visible_to_staff(user) -> QuerySet[Bill]:
    """The bills ``user`` may open: all of them with a bill permission, else none."""
    if user.is_authenticated and bill_permission_policy.user_has_any_permission(user, ["view", "change"]):
        return Bill.objects.all()
    return Bill.objects.none()


def _visible_only(visible, what: str):
    """Wrap a view of one object: 404 unless ``visible(user)`` holds it, before the view runs."""

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not visible(request.user).filter(pk=kwargs["pk"]).exists():
                raise Http404(f"No such {what}")
            return view(request, *args, **kwargs)

        return guarded

    return decorator


def _guard_urlpatterns(patterns, visible, what: str):
    return [
        path(str(pattern.pattern), _visible_only(visible, what)(pattern.callback), name=pattern.name)
        if "pk" in pattern.pattern.converters
        else pattern
        for pattern in patterns
    ]


def can_reconcile(user) -> bool:
    return user.has_perm("payments.reconcile_payments")


# --- Payments -------------------------------------------------------------------------------


class PaymentFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label="Status", choices=PaymentStatus.choices, empty_label="Any status", widget=forms.RadioSelect
    )
    provider = django_filters.ChoiceFilter(
        label="Provider", choices=Provider.choices, empty_label="Any provider", widget=forms.RadioSelect
    )
    created_at = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)
    service_code = django_filters.NumberFilter(label="Service (LGSL code)")
    kind = django_filters.ChoiceFilter(
        label="For",
        choices=[("case", "Requests"), ("bill", "Bills")],
        empty_label="Anything",
        method="filter_kind",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Payment
        fields = ["status", "provider", "created_at", "service_code", "kind"]

    def filter_kind(self, queryset, name, value):
        if value == "case":
            return queryset.filter(case__isnull=False)
        if value == "bill":
            return queryset.filter(bill__isnull=False)
        return queryset


def _amount_with_refunds(payment) -> str:
    text = payment.amount_display
    if payment.amount_refunded_pence:
        text += f" ({payment.refunded_display} refunded)"
    return text


class PaymentIndexView(SafeSpreadsheetExportMixin, generic.IndexView):
    page_title = "Payments"
    search_fields = ["reference", "provider_id", "email", "case__reference", "bill__reference"]
    search_backend_name = None
    default_ordering = "-created_at"

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("case", "bill")

    @cached_property
    def columns(self):
        title_column = self._get_title_column_class(TitleColumn)
        return [
            title_column(
                "reference",
                label="Reference",
                sort_key="reference",
                get_url=lambda p: self.get_inspect_url(p),
            ),
            Column(
                "created_at",
                label="Created",
                sort_key="created_at",
                accessor=lambda p: datetime_display(p.created_at, short=True),
            ),
            Column("description", label="What for"),
            Column("amount", label="Amount", accessor=_amount_with_refunds, sort_key="amount_pence"),
            Column("status", label="Status", accessor="get_status_display", sort_key="status"),
            Column("failure", label="Failure", accessor="get_failure_code_display"),
            Column("provider", label="Provider", accessor="get_provider_display", sort_key="provider"),
            Column("service_code", label="Service", sort_key="service_code"),
        ]


class PaymentInspectView(generic.InspectView):
    template_name = "payments/admin/payment_inspect.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            payments_visible_to_staff(self.request.user).select_related("case", "bill", "user"), pk=self.pk
        )

    def get_page_subtitle(self):
        return self.object.reference

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        payment = self.object
        context.update(
            {
                "payment": payment,
                "events": payment.events.select_related("actor"),
                "refunds": payment.refunds.select_related("staff"),
                "webhooks": payment.webhook_events.order_by("received_at"),
                "can_refund": can_refund(self.request.user) and payment.refundable_pence > 0,
                "refund_url": reverse("payments_admin:refund", args=[payment.pk]),
                "case_url": _case_url(payment, self.request.user),
            }
        )
        return context


def _case_url(payment, user) -> str:
    """A link to the payment's case, only for someone who can open it (others would get 404)."""
    if not payment.case_id:
        return ""
    try:
        if not staff_can_view_case(user, payment.case):
            return ""
        return reverse("cases_admin:case", args=[payment.case_id])
    except Exception:  # noqa: BLE001 - the cases workspace may not be installed
        return ""


class PaymentViewSet(ModelViewSet):
    model = Payment
    name = "finance_payments"
    url_prefix = "payments"
    icon = "list-ul"
    menu_label = "Payments"
    menu_order = 100
    permission_policy = payment_permission_policy
    index_view_class = PaymentIndexView
    inspect_view_class = PaymentInspectView
    inspect_view_enabled = True
    filterset_class = PaymentFilterSet
    copy_view_enabled = False
    add_to_reference_index = False
    list_export = [
        "reference",
        "created_at",
        "finished_at",
        "description",
        "amount_pence",
        "amount_refunded_pence",
        "currency",
        "vat_status",
        "status",
        "failure_code",
        "provider",
        "provider_id",
        "service_code",
    ]
    export_filename = "payments"
    form_fields = ["description"]  # never shown: nobody may add or edit a payment

    def get_urlpatterns(self):
        """Every view of one payment answers 404 to staff who may not see it."""
        return _guard_urlpatterns(super().get_urlpatterns(), payments_visible_to_staff, "payment")


def refund_view(request, pk):
    """Refund a payment, in full or in part, with a reason the resident will see."""
    payment = get_object_or_404(payments_visible_to_staff(request.user).select_related("case", "bill"), pk=pk)
    if not can_refund(request.user):
        raise PermissionDenied
    inspect_url = reverse("finance_payments:inspect", args=[payment.pk])
    if payment.refundable_pence <= 0:
        messages.error(request, "There is nothing left to refund on this payment.")
        return HttpResponseRedirect(inspect_url)
    form = RefundForm(request.POST or None, payment=payment)
    if request.method == "POST" and form.is_valid():
        try:
            refund = payment_refund(
                payment=payment,
                amount_pence=form.cleaned_data["amount_pence"],
                reason=form.cleaned_data["reason"],
                staff=request.user,
            )
        except PaymentError as exc:
            form.add_error(None, str(exc))
        else:
            if refund.is_error:
                messages.error(request, f"The provider refused the refund: {refund.failure_message}")
            elif refund.is_submitted:
                messages.warning(
                    request, f"Refund of {refund.amount_display} sent; waiting for the provider."
                )
            else:
                messages.success(request, f"Refunded {refund.amount_display} of {payment.reference}.")
            return HttpResponseRedirect(inspect_url)
    return TemplateResponse(
        request,
        "payments/admin/refund.html",
        {
            "payment": payment,
            "form": form,
            "inspect_url": inspect_url,
            "error_summary": error_summary(form, form_anchor="refund-form"),
        },
        status=400 if form.errors else 200,
    )


# --- Bills ----------------------------------------------------------------------------------


class BillForm(WagtailAdminModelForm):
    amount_due = forms.CharField(
        label="Amount due (£)", help_text="In pounds and pence, e.g. 120.50", max_length=14
    )
    # Not the model field: the form never writes ``Bill.status``; ``save`` asks
    # ``bill_status_set``, and only the moves ``BILL_TRANSITIONS`` allows are offered.
    status = forms.ChoiceField(label="Status", choices=BillStatus.choices)
    field_order = [
        "reference",
        "postcode",
        "description",
        "payer_name",
        "allows_part_payment",
        "vat_status",
        "service_code",
        "due_date",
        "status",
        "amount_due",
    ]

    class Meta:
        model = Bill
        fields = [
            "reference",
            "postcode",
            "description",
            "payer_name",
            "allows_part_payment",
            "vat_status",
            "service_code",
            "due_date",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = bill_status_choices(self.instance.status)
        self.fields["status"].initial = self.instance.status
        if self.instance.pk:
            self.fields["amount_due"].initial = pounds_value(self.instance.amount_due_pence)

    def clean_amount_due(self) -> int:
        amount = amount_clean(self.cleaned_data["amount_due"])
        if amount <= 0:
            raise forms.ValidationError("Enter an amount more than £0")
        return amount

    def clean_postcode(self) -> str:
        return postcode_display(self.cleaned_data["postcode"])

    @transaction.atomic
    def save(self, commit=True):
        self.instance.amount_due_pence = self.cleaned_data["amount_due"]
        bill = super().save(commit=commit)
        if commit:
            bill_status_set(bill=bill, to=self.cleaned_data["status"])
        return bill


class BillIndexView(SafeSpreadsheetExportMixin, generic.IndexView):
    page_title = "Bills"
    search_fields = ["reference", "payer_name", "description"]
    search_backend_name = None

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.permission_policy.user_has_permission(self.request.user, "add"):
            buttons.append(
                HeaderButton("Import from CSV", url=reverse("payments_admin:bill_import"), icon_name="upload")
            )
        return buttons

    @cached_property
    def columns(self):
        title_column = self._get_title_column_class(TitleColumn)
        return [
            title_column(
                "reference",
                label="Reference",
                sort_key="reference",
                get_url=lambda b: self.get_edit_url(b) or self.get_inspect_url(b),
            ),
            Column("description", label="What for"),
            Column("payer_name", label="Payer"),
            Column("amount_due", label="Due", accessor="amount_due_display", sort_key="amount_due_pence"),
            Column("amount_paid", label="Paid", accessor="amount_paid_display", sort_key="amount_paid_pence"),
            Column("status", label="Status", accessor="get_status_display", sort_key="status"),
        ]


class BillViewSet(ModelViewSet):
    model = Bill
    name = "finance_bills"
    url_prefix = "bills"
    icon = "doc-full"
    menu_label = "Bills"
    menu_order = 110
    permission_policy = bill_permission_policy
    index_view_class = BillIndexView
    list_filter = ["status", "allows_part_payment"]
    copy_view_enabled = False
    inspect_view_enabled = True
    add_to_reference_index = False
    list_export = [
        "reference",
        "postcode",
        "description",
        "payer_name",
        "amount_due_pence",
        "amount_paid_pence",
        "allows_part_payment",
        "vat_status",
        "service_code",
        "due_date",
        "status",
    ]
    export_filename = "bills"

    def get_form_class(self, for_update=False):
        return BillForm

    def get_urlpatterns(self):
        """Every view of one bill answers 404 to staff who may not see bills."""
        return _guard_urlpatterns(super().get_urlpatterns(), bills_visible_to_staff, "bill")


def bill_import_view(request):
    if not request.user.has_perm("payments.add_bill"):
        raise PermissionDenied
    form = BillImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read(2 * 1024 * 1024 + 1).decode("utf-8-sig")
        except UnicodeDecodeError:
            errors = ["The file must be a CSV saved as UTF-8 text"]
        else:
            if len(text) > 2 * 1024 * 1024:
                errors = ["The file must be 2MB or smaller"]
            else:
                created, updated, errors = bills_import(text=text)
                if not errors:
                    messages.success(request, f"Imported bills: {created} new, {updated} updated.")
                    return HttpResponseRedirect(reverse("finance_bills:index"))
    return TemplateResponse(
        request,
        "payments/admin/bill_import.html",
        {"form": form, "errors": errors, "index_url": reverse("finance_bills:index")},
        status=400 if (errors or form.errors) else 200,
    )


# --- Reconciliation -------------------------------------------------------------------------


class ReconcileForm(forms.Form):
    date = forms.DateField(
        label="Day",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date like 2026-03-31"},
    )
    provider = forms.ChoiceField(label="Provider", choices=Provider.choices, required=False)


def reconciliation_view(request):
    if not can_reconcile(request.user):
        raise PermissionDenied
    yesterday = timezone.localdate() - timedelta(days=1)
    data = request.GET.copy()
    data.setdefault("date", yesterday.isoformat())
    data.setdefault("provider", settings.PAYMENTS_PROVIDER)
    form = ReconcileForm(data)
    report = None
    if form.is_valid():
        report = reconciliation_report(
            day=form.cleaned_data["date"], provider_name=form.cleaned_data["provider"] or None
        )
        if request.GET.get("format") == "csv" and not report.error:
            response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="reconciliation-{report.provider}-{report.day.isoformat()}.csv"'
            )
            return response
    csv_query = data.copy()
    csv_query["format"] = "csv"
    return TemplateResponse(
        request,
        "payments/admin/reconciliation.html",
        {"form": form, "report": report, "csv_url": f"?{csv_query.urlencode()}"},
    )


def admin_urls():
    return [
        path("<int:pk>/refund/", refund_view, name="refund"),
        path("bills/import/", bill_import_view, name="bill_import"),
        path("reconciliation/", reconciliation_view, name="reconciliation"),
    ]
