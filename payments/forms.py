"""Forms that shape input for the payment pages; the rules live in ``services``."""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from portal.lib.money import MONEY_FORMAT_ERROR, pence_from_pounds, pounds

from .constants import MAX_AMOUNT_POUNDS
from .providers.sandbox import TEST_CARDS


def amount_clean(value: str) -> int:
    """An amount typed in pounds, in pence (``portal.lib.money.pence_from_pounds``), or a form error."""
    try:
        return pence_from_pounds(value, max_pounds=MAX_AMOUNT_POUNDS)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def _money_field(label: str, *, hint: str = "", required: str = "Enter an amount") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        max_length=14,
        widget=forms.TextInput(
            attrs={"class": "govuk-input--width-10", "inputmode": "decimal", "spellcheck": "false"}
        ),
        error_messages={
            "required": required,
            "max_length": MONEY_FORMAT_ERROR,
        },
    )


class BillLookupForm(forms.Form):
    reference = forms.CharField(
        label="Bill reference",
        help_text="This is on your bill or letter, for example INV-204518.",
        max_length=32,
        widget=forms.TextInput(
            attrs={"class": "govuk-input--width-20", "spellcheck": "false", "autocomplete": "off"}
        ),
        error_messages={
            "required": "Enter the bill reference",
            "max_length": "The bill reference must be 32 characters or less",
        },
    )
    postcode = forms.CharField(
        label="Postcode",
        help_text="The postcode the bill was sent to.",
        max_length=10,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "postal-code"}),
        error_messages={
            "required": "Enter the postcode",
            "max_length": "Enter a real postcode, like SW1A 1AA",
        },
    )


class BillAmountForm(forms.Form):
    amount = _money_field("How much do you want to pay?", required="Enter how much you want to pay")
    email = forms.EmailField(
        label="Email address for your receipt (optional)",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"invalid": "Enter an email address in the correct format, like name@example.com"},
    )

    def __init__(self, *args, bill, ask_email: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.bill = bill
        outstanding = bill.outstanding_pence
        self.fields[
            "amount"
        ].help_text = f"You can pay all or part of this bill. The most you can pay is {pounds(outstanding)}."
        if not ask_email:
            del self.fields["email"]
        if not bill.allows_part_payment:
            del self.fields["amount"]

    def clean_amount(self) -> int:
        amount = amount_clean(self.cleaned_data["amount"])
        outstanding = self.bill.outstanding_pence
        if amount <= 0:
            raise ValidationError("Enter an amount more than £0")
        if amount > outstanding:
            raise ValidationError(f"Enter an amount of {pounds(outstanding)} or less")
        return amount


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


class SandboxCardForm(forms.Form):
    """The card details page, validated as GOV.UK Pay validates it."""

    card_number = forms.CharField(
        label="Card number",
        max_length=30,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "cc-number",
                "inputmode": "numeric",
                "spellcheck": "false",
                "class": "govuk-input--width-20",
            }
        ),
        error_messages={"required": "Enter a card number", "max_length": "Enter a valid card number"},
    )
    expiry_month = forms.CharField(
        label="Month",
        max_length=2,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-exp-month", "inputmode": "numeric", "class": "govuk-input--width-2"}
        ),
        error_messages={"required": "Enter the expiry date", "max_length": "Enter a valid expiry date"},
    )
    expiry_year = forms.CharField(
        label="Year",
        max_length=4,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-exp-year", "inputmode": "numeric", "class": "govuk-input--width-4"}
        ),
        error_messages={"required": "Enter the expiry date", "max_length": "Enter a valid expiry date"},
    )
    cardholder_name = forms.CharField(
        label="Name on card",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the name as it appears on the card",
            "max_length": "Name on card must be 100 characters or less",
        },
    )
    cvc = forms.CharField(
        label="Card security code",
        help_text="The last 3 digits on the back of the card",
        max_length=4,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "class": "govuk-input--width-4"}
        ),
        error_messages={
            "required": "Enter the card security code",
            "max_length": "Enter a valid card security code",
        },
    )

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or date.today()

    def clean_card_number(self) -> str:
        number = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_valid(number):
            raise ValidationError("Enter a valid card number")
        if number not in TEST_CARDS:
            raise ValidationError("This is a test page: use one of the test card numbers listed")
        return number

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not re.fullmatch(r"\d{3,4}", cvc):
            raise ValidationError("Enter a valid card security code")
        return cvc

    def clean(self):
        cleaned = super().clean()
        month, year = cleaned.get("expiry_month", "").strip(), cleaned.get("expiry_year", "").strip()
        if "expiry_month" in self.errors or "expiry_year" in self.errors:
            return cleaned
        if not (month.isdigit() and year.isdigit() and 1 <= int(month) <= 12 and len(year) in (2, 4)):
            self.add_error("expiry_month", "Enter a valid expiry date")
            return cleaned
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        if (full_year, int(month)) < (self.today.year, self.today.month):
            self.add_error("expiry_month", "Enter a valid expiry date: this card has expired")
        return cleaned


class RefundForm(forms.Form):
    kind = forms.ChoiceField(
        label="How much do you want to refund?",
        choices=[("full", "Full refund"), ("partial", "Partial refund")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a full or partial refund"},
    )
    amount = _money_field("Amount to refund, in pounds", required="Enter the amount to refund", hint="")
    reason = forms.CharField(
        label="Reason for the refund",
        help_text="The resident sees this.",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter the reason for the refund",
            "max_length": "Reason must be 500 characters or less",
        },
    )

    def __init__(self, *args, payment, **kwargs):
        super().__init__(*args, **kwargs)
        self.payment = payment
        self.fields["amount"].required = False
        self.fields["amount"].help_text = f"For a partial refund. Up to {pounds(payment.refundable_pence)}."
        self.fields["kind"].choices = [
            ("full", f"Full refund of what is left: {pounds(payment.refundable_pence)}"),
            ("partial", "Partial refund"),
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == "full":
            cleaned["amount_pence"] = self.payment.refundable_pence
        elif cleaned.get("kind") == "partial":
            raw = cleaned.get("amount")
            if not raw:
                self.add_error("amount", "Enter the amount to refund")
            else:
                try:
                    amount = amount_clean(raw)
                except ValidationError as exc:
                    self.add_error("amount", exc)
                else:
                    if amount <= 0:
                        self.add_error("amount", "Enter an amount more than £0")
                    elif amount > self.payment.refundable_pence:
                        self.add_error(
                            "amount", f"Enter an amount of {pounds(self.payment.refundable_pence)} or less"
                        )
                    else:
                        cleaned["amount_pence"] = amount
        return cleaned


class BillImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "Columns: reference, postcode, description, amount (in pounds, e.g. 120.50), and optionally "
            "payer_name, allows_part_payment (yes/no), vat_status, service_code, due_date (YYYY-MM-DD)."
        ),
        error_messages={"required": "Choose a CSV file"},
    )
