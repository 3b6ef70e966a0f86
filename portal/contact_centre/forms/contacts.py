"""The form a case officer fills in for each phone call, visit, email, letter or message."""

from collections import Counter
from datetime import UTC, datetime, timedelta, tzinfo

from allauth.account.models import EmailAddress

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.forms.fields import BaseTemporalField
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime

from wagtail.admin.forms import WagtailAdminModelForm

from portal.cases.selectors import case_satisfaction_staff_can_record, case_visible_to_staff_by_reference
from portal.interactions.constants import (
    ASSISTED_CHANNELS,
    SATISFACTION_COMMENT_MAX_LENGTH,
    AvoidableCategory,
    InteractionType,
    SatisfactionScore,
)
from portal.interactions.models import (
    AssistedContact,
    ContactTeam,
    Interaction,
    LgilInteractionType,
    LgslService,
)
from portal.lib.dates import time_display

YES, NO = "yes", "no"
SATISFACTION_FIELDS = ("satisfaction", "satisfaction_comment")
YES_NO = [(YES, "Yes"), (NO, "No")]

NOTES_MAX_LENGTH = 500
WIDTH = "width: 100%; max-width: 50rem"  # long LGSL names must not push the select off screen

# Offered first until enough contacts have been recorded to know what is used most:
# household waste collection, special collections, potholes, parking permits, fly-tipping.
COMMON_SERVICE_CODES = (524, 528, 557, 474, 587)
MOST_USED_LIMIT = 10
MOST_USED_SAMPLE = 500


def most_used_service_codes(*, limit: int = MOST_USED_LIMIT) -> list[int]:
    """Services of the latest assisted contacts, most frequent first, topped up with common ones.

    Reads a bounded sample through the (type, occurred_at) index, never the whole log.
    """
    recent = (
        Interaction.objects.filter(type=InteractionType.ASSISTED_CONTACT, service_code__isnull=False)
        .order_by("-occurred_at")
        .values_list("service_code", flat=True)[:MOST_USED_SAMPLE]
    )
    ranked = [code for code, _ in Counter(recent).most_common(limit)]
    for code in COMMON_SERVICE_CODES:
        if len(ranked) >= limit:
            break
        if code not in ranked:
            ranked.append(code)
    return ranked


def assisted_contact_service_choices() -> list:
    """Every LGSL service A to Z, after a "Most used" group so most calls need no scrolling."""
    services = list(LgslService.objects.all())
    labels = {service.code: str(service) for service in services}
    everything = [(service.code, labels[service.code]) for service in services]
    most_used = [(code, labels[code]) for code in most_used_service_codes() if code in labels]
    choices: list = [("", "Choose a service")]
    if most_used:
        choices += [("Most used", most_used), ("All services, A to Z", everything)]
    else:
        choices += everything
    return choices


def handled_by_default(user) -> ContactTeam | None:
    """The active team ``user`` chose on the last contact they recorded with a team, if any.

    Most staff always work for the same team, so the form starts on it. Reads one row
    through the staff index.
    """
    if user is None or not user.pk:
        return None
    last = (
        Interaction.objects.filter(
            type=InteractionType.ASSISTED_CONTACT, staff=user, handled_by__isnull=False
        )
        .order_by("-pk")
        .values_list("handled_by", flat=True)
        .first()
    )
    return ContactTeam.objects.filter(pk=last, active=True).first() if last else None


# Daylight saving time. The form takes the wall-clock time the officer reads off the
# clock; a time in the hour the clocks go back happens twice (``fold`` says which), and a
# time in the hour they go forward never happens.


def _utc_offset(wall: datetime, zone: tzinfo, fold: int):
    return wall.replace(tzinfo=zone, fold=fold).utcoffset()


def wall_time_repeated(wall: datetime, zone: tzinfo) -> bool:
    """The clocks went back over ``wall``: it happened twice, first in summer time."""
    return _utc_offset(wall, zone, 0) > _utc_offset(wall, zone, 1)


def wall_time_skipped(wall: datetime, zone: tzinfo) -> bool:
    """The clocks went forward over ``wall``: it never happened."""
    return _utc_offset(wall, zone, 0) < _utc_offset(wall, zone, 1)


def _skipped_hours(wall: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first wall-clock time skipped around ``wall``, and the first after the gap."""
    before, after = _utc_offset(wall, zone, 0), _utc_offset(wall, zone, 1)
    # The change happened between these two instants; narrow it down to the second.
    low, high = wall - after, wall - before
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.replace(tzinfo=UTC).astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    change = high.replace(second=0, microsecond=0)
    return change + before, change + after


def _clock(wall: datetime) -> str:
    """The wall-clock time as GOV.UK writes times ("1:30am"), without any time zone."""
    return time_display(wall.time())


class WallClockDateTimeField(forms.DateTimeField):
    """A date and time as the clock on the wall showed it: a naive local datetime.

    Django's own field refuses a time the clocks went back or forward over; this one
    leaves that to the form, which can ask which of the two times it was.
    """

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)  # keeps ``fold``
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            result = value
        else:
            try:
                result = parse_datetime(value.strip())
            except ValueError:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
            if not result:
                result = BaseTemporalField.to_python(self, value)  # the input_formats
        if timezone.is_aware(result):
            result = timezone.localtime(result).replace(tzinfo=None)
        return result


def case_for_staff(user, reference: str):
    """The case with ``reference`` if ``user`` may see it in the case queue, else None.

    Case visibility is the cases app's one rule (read through ``portal.cases.selectors``);
    the contact centre asks it here rather than keeping a copy.
    """
    if user is None:
        return None
    return case_visible_to_staff_by_reference(user, reference)


def _yes_no(value: str) -> bool:
    return value == YES


def _resident_for_email(email: str):
    """The account that signs in with this email, or has it as another verified address."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        address = (
            EmailAddress.objects.filter(email__iexact=email, verified=True).select_related("user").first()
        )
        user = address.user if address else None
    return user


def _yes_no_field(label: str, message: str, *, help_text: str = "") -> forms.TypedChoiceField:
    """Yes/No radios giving True or False, with one message for a missing or odd answer."""
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=_yes_no,
        widget=forms.RadioSelect,
        error_messages={"required": message, "invalid_choice": message},
    )


class AssistedContactForm(forms.ModelForm):
    """One assisted contact. Field order is the order a call goes in.

    ``cleaned_data`` maps onto :func:`portal.interactions.services.assisted_contact_record`
    through :meth:`service_kwargs`; the edit view applies the same values to the row.
    """

    handled_by = forms.ModelChoiceField(
        label="Handled by",
        help_text="The team or contact centre that took the contact.",
        queryset=ContactTeam.objects.none(),
        empty_label="Choose a team",
        error_messages={
            "required": "Choose the team that handled the contact",
            "invalid_choice": "Choose the team that handled the contact",
        },
    )
    channel = forms.ChoiceField(
        label="How did the resident contact the council?",
        choices=[(channel.value, channel.label) for channel in ASSISTED_CHANNELS],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how the resident contacted the council",
            "invalid_choice": "Choose how the resident contacted the council",
        },
    )
    service_code = forms.TypedChoiceField(
        label="Service",
        help_text="Type to jump to a service, or search by name or LGSL number.",
        coerce=int,
        widget=forms.Select(attrs={"style": WIDTH}),
        error_messages={"required": "Choose the service", "invalid_choice": "Choose the service"},
    )
    reason_code = forms.TypedChoiceField(
        label="Reason for contact",
        coerce=str,
        error_messages={
            "required": "Choose the reason for the contact",
            "invalid_choice": "Choose the reason for the contact",
        },
    )
    avoidable = _yes_no_field(
        "Was the contact avoidable?",
        "Choose whether the contact was avoidable",
        help_text="Avoidable if the council could have prevented it, for example by getting it right "
        "first time or putting the information online.",
    )
    avoidable_category = forms.ChoiceField(
        label="Why was it avoidable?",
        choices=AvoidableCategory.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Choose why the contact was avoidable"},
    )
    resolved_first_contact = _yes_no_field(
        "Was it resolved at first contact?", "Choose whether the contact was resolved at first contact"
    )
    resident_email = forms.EmailField(
        label="Resident's email address (optional)",
        help_text="Links the contact to the resident's account. Leave blank for an anonymous contact.",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Email address must be 254 characters or fewer",
        },
    )
    case_reference = forms.CharField(
        label="Case reference (optional)",
        required=False,
        max_length=40,
        error_messages={"max_length": "Case reference must be 40 characters or fewer"},
    )
    notes = forms.CharField(
        label="Notes (optional)",
        help_text=f"A few words for colleagues, up to {NOTES_MAX_LENGTH} characters. "
        "Do not include bank details or health information.",
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"Notes must be {NOTES_MAX_LENGTH} characters or fewer"},
    )
    satisfaction = forms.TypedChoiceField(
        label="How satisfied is the resident with the outcome? (optional)",
        help_text="If the contact was about a decision, such as a resolved or rejected request, ask "
        "“How satisfied are you with the outcome?” and choose their answer. Leave it at “Not asked” "
        "otherwise.",
        choices=[("", "Not asked"), *SatisfactionScore.choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose how satisfied the resident is with the outcome"},
    )
    satisfaction_comment = forms.CharField(
        label="Their comment on the outcome (optional)",
        help_text="In the resident's words, if they want to add something.",
        required=False,
        max_length=SATISFACTION_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "max_length": f"The comment must be {SATISFACTION_COMMENT_MAX_LENGTH} characters or fewer"
        },
    )
    occurred_at = WallClockDateTimeField(
        label="When",
        help_text="Change this if the contact was earlier. Leave it blank for now.",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Enter the date and time of the contact, for example 22/11/2026 09:30"},
    )
    # Only on the form when "When" is in the hour the clocks went back (see __init__).
    occurred_at_fold = forms.ChoiceField(
        label="This time happened twice because the clocks went back. Which one?",
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = AssistedContact
        fields = [
            "channel",
            "service_code",
            "reason_code",
            "avoidable",
            "avoidable_category",
            "resolved_first_contact",
            "case_reference",
            "occurred_at",
        ]

    field_order = [
        "handled_by",
        "channel",
        "service_code",
        "reason_code",
        "avoidable",
        "avoidable_category",
        "resolved_first_contact",
        "resident_email",
        "case_reference",
        "notes",
        "satisfaction",
        "satisfaction_comment",
        "occurred_at",
        "occurred_at_fold",
    ]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_user = for_user
        self.resident = None
        self.fields["service_code"].choices = assisted_contact_service_choices()
        self.fields["reason_code"].choices = [("", "Choose a reason")] + [
            (str(reason.code), reason.label) for reason in LgilInteractionType.objects.all()
        ]
        instance = self.instance
        if instance.pk:
            # An answer about the outcome is its own event, recorded with the contact, not edited here.
            for name in SATISFACTION_FIELDS:
                self.fields.pop(name, None)
            for name in ("avoidable", "resolved_first_contact"):
                value = getattr(instance, name)
                self.initial[name] = "" if value is None else (YES if value else NO)
            self.initial["resident_email"] = instance.user.email if instance.user_id and instance.user else ""
            self.initial["notes"] = (instance.extras or {}).get("notes", "")
        elif not self.is_bound:
            self.initial["occurred_at"] = timezone.localtime().replace(second=0, microsecond=0)
        # The browser's date picker then offers no future times (the server still checks).
        self.fields["occurred_at"].widget.attrs["max"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        self._handled_by_setup()
        self._occurred_at_fold_setup()

    def _handled_by_setup(self) -> None:
        """Active teams, and the contact's own team when correcting it (even if archived).

        Required once the council has set up a team; without any, the question is left out.
        """
        field = self.fields["handled_by"]
        current = self.instance.handled_by_id if self.instance.pk else None
        queryset = ContactTeam.objects.filter(active=True)
        if current:
            queryset = ContactTeam.objects.filter(active=True) | ContactTeam.objects.filter(pk=current)
        field.queryset = queryset.order_by("name")
        if not field.queryset.exists():
            del self.fields["handled_by"]
            return
        if self.instance.pk:
            self.initial["handled_by"] = current
        elif not self.is_bound:
            default = handled_by_default(self.for_user)
            if default is None and field.queryset.count() == 1:
                default = field.queryset.get()
            self.initial["handled_by"] = default.pk if default else None

    def _typed_wall_time(self) -> datetime | None:
        """The "When" the form was sent with (or starts with), as a local wall-clock time."""
        field = self.fields.get("occurred_at")
        if field is None:
            return None
        try:
            if self.is_bound:
                return field.to_python(self["occurred_at"].data)
            return field.to_python(self.get_initial_for_field(field, "occurred_at"))
        except forms.ValidationError:
            return None

    def _occurred_at_fold_setup(self) -> None:
        """Ask which one only when "When" is a time that happened twice, in its own words."""
        wall = self._typed_wall_time()
        zone = timezone.get_current_timezone()
        if wall is None or not wall_time_repeated(wall, zone):
            self.fields.pop("occurred_at_fold", None)
            return
        clock = _clock(wall)
        first, second = (wall.replace(tzinfo=zone, fold=fold).tzname() for fold in (0, 1))
        field = self.fields["occurred_at_fold"]
        field.choices = [
            ("0", f"The first {clock} ({first}, before the clocks went back)"),
            ("1", f"The second {clock} ({second}, after the clocks went back)"),
        ]
        field.error_messages["invalid_choice"] = f"Choose whether it was the first or the second {clock}"
        if not self.is_bound:
            self.initial["occurred_at_fold"] = str(wall.fold)

    def clean_resident_email(self):
        email = self.cleaned_data["resident_email"].strip()
        if not email:
            self.resident = None
            return ""
        self.resident = _resident_for_email(email)
        if self.resident is None:
            raise forms.ValidationError(
                "No resident account uses this email address. Check it, or leave it blank to record "
                "the contact without an account"
            )
        return email

    def clean_case_reference(self):
        """The reference of a case the officer can see, as the case spells it, or blank.

        A case of another team and a reference that matches no case get the same message,
        so the form never tells an officer that someone else's case exists.
        """
        reference = self.cleaned_data["case_reference"].strip()
        if not reference:
            return ""
        original = self.instance.case_reference if self.instance.pk else ""
        if original and reference == original:
            return original  # unchanged (its case may since have been deleted, at the end of its retention)
        case = case_for_staff(self.for_user, reference)
        if case is None:
            raise forms.ValidationError(
                "Enter the reference of a case you can see in your case queue, like BWC-2026-000123, "
                "or leave it blank for a contact that is not about a case"
            )
        return case.reference

    def clean_occurred_at(self):
        """An aware time, or (for a time that happened twice) the wall-clock time until
        :meth:`clean_occurred_at_fold` knows which of the two it was."""
        wall = self.cleaned_data.get("occurred_at")
        if wall is None:
            if self.instance.pk:
                raise forms.ValidationError("Enter the date and time of the contact")
            return None
        zone = timezone.get_current_timezone()
        if wall_time_skipped(wall, zone):
            start, end = _skipped_hours(wall, zone)
            raise forms.ValidationError(
                f"{_clock(wall)} on {dateformat.format(wall, 'j F Y')} did not happen in the UK because "
                f"the clocks went forward. Enter a time before {_clock(start)} or from {_clock(end)}"
            )
        if wall_time_repeated(wall, zone):
            return wall
        return self._occurred_at_check(wall.replace(tzinfo=zone, fold=0).astimezone(UTC))

    def clean_occurred_at_fold(self):
        answer = self.cleaned_data.get("occurred_at_fold", "")
        wall = self.cleaned_data.get("occurred_at")
        if not isinstance(wall, datetime) or timezone.is_aware(wall):
            return answer  # not asked, or "When" has its own error
        if answer not in ("0", "1"):
            self.cleaned_data.pop("occurred_at", None)
            raise forms.ValidationError(f"Choose whether it was the first or the second {_clock(wall)}")
        zone = timezone.get_current_timezone()
        try:
            self.cleaned_data["occurred_at"] = self._occurred_at_check(
                wall.replace(tzinfo=zone, fold=int(answer)).astimezone(UTC)
            )
        except forms.ValidationError as error:
            self.add_error("occurred_at", error)
        return answer

    def _occurred_at_check(self, occurred_at: datetime) -> datetime:
        """Not in the future, nor older than the log keeps; in UTC, so ``fold`` cannot be lost."""
        now = timezone.now()
        original = self.instance.occurred_at if self.instance.pk else None
        if original and occurred_at == original.replace(second=0, microsecond=0):
            return original  # unchanged: the field shows minutes, keep the recorded seconds
        if occurred_at > now:
            raise forms.ValidationError("The time of the contact must be now or in the past")
        oldest = now - timedelta(days=settings.INTERACTIONS_RETENTION_DAYS)
        if occurred_at < oldest:
            raise forms.ValidationError(
                f"The contact must be in the last {settings.INTERACTIONS_RETENTION_DAYS} days"
            )
        return occurred_at

    def clean(self):
        cleaned = super().clean()
        occurred_at = cleaned.get("occurred_at")
        if isinstance(occurred_at, datetime) and timezone.is_naive(occurred_at):
            del cleaned["occurred_at"]  # which of the two times it was is still to be answered
        avoidable = cleaned.get("avoidable")
        category = cleaned.get("avoidable_category", "")
        if avoidable is True and not category and "avoidable_category" not in self.errors:
            self.add_error("avoidable_category", "Choose why the contact was avoidable")
        elif avoidable is False and category:
            self.add_error(
                "avoidable_category",
                "Remove why the contact was avoidable, or answer yes to ‘Was the contact avoidable?’",
            )
        if (
            "satisfaction" in self.fields
            and cleaned.get("satisfaction_comment", "").strip()
            and cleaned.get("satisfaction") is None
            and "satisfaction" not in self.errors
        ):
            self.add_error(
                "satisfaction",
                "Choose how satisfied the resident is with the outcome, or remove their comment",
            )
        return cleaned

    def satisfaction_kwargs(self) -> dict | None:
        """The resident's answer about the outcome, if staff asked: ``score`` and ``comment``."""
        score = self.cleaned_data.get("satisfaction") if "satisfaction" in self.fields else None
        if score is None:
            return None
        return {"score": score, "comment": self.cleaned_data.get("satisfaction_comment", "").strip()}

    def service_kwargs(self) -> dict:
        """The validated answers as keyword arguments for ``assisted_contact_record``."""
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "service_code": data["service_code"],
            "reason_code": data["reason_code"],
            "avoidable": data["avoidable"],
            "avoidable_category": data["avoidable_category"] if data["avoidable"] else "",
            "resolved_first_contact": data["resolved_first_contact"],
            "resident": self.resident,
            "case_reference": data["case_reference"],
            "notes": data["notes"].strip(),
            "occurred_at": data["occurred_at"],
            "handled_by": data.get("handled_by"),
        }


class CaseAssistedContactForm(AssistedContactForm):
    """An assisted contact about this case: the case gives the service, resident and reference."""

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        for name in ("resident_email", "case_reference", "occurred_at", "occurred_at_fold"):
            self.fields.pop(name, None)
        if not case_satisfaction_staff_can_record(case):
            # Asked once per case: only once it has an outcome and until the resident answers.
            for name in ("satisfaction", "satisfaction_comment"):
                self.fields.pop(name, None)
        if case.service_code and not self.is_bound:
            self.initial["service_code"] = case.service_code
        self.resident = case.resident

    def clean_resident_email(self):
        return ""

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "service_code": data["service_code"],
            "reason_code": data["reason_code"],
            "avoidable": data["avoidable"],
            "avoidable_category": data["avoidable_category"] if data["avoidable"] else "",
            "resolved_first_contact": data["resolved_first_contact"],
            "resident": self.case.resident,
            "case_reference": self.case.reference,
            "notes": data["notes"].strip(),
            "handled_by": data.get("handled_by"),
        }


class ContactTeamForm(WagtailAdminModelForm):
    """A team that handles assisted contacts. Archived (not active) teams keep their contacts."""

    class Meta:
        model = ContactTeam
        fields = ["name", "description", "active"]
        labels = {"active": "Active"}
        help_texts = {
            "name": "As staff and reports should see it, for example “Customer services” or “Capita”.",
            "active": "Untick to archive the team: it is no longer offered for new contacts, and the "
            "contacts it handled keep its name.",
        }
        error_messages = {
            "name": {
                "required": "Enter the team’s name",
                "max_length": "The team’s name must be 100 characters or fewer",
                "unique": "There is already a team with this name. Enter a different name, or edit that team",
            },
            "description": {"max_length": "The description must be 255 characters or fewer"},
        }
