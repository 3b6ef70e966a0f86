import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from .constants import (
    ContactPreference,
    DataExportStatus,
    IdentityCheck,
    ProxyEndedBy,
    ProxyRelationship,
    ProxyState,
    StaffAccessAction,
    SupportNeed,
)


def new_person_key() -> str:
    return uuid.uuid4().hex


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not (extra_fields["is_staff"] and extra_fields["is_superuser"]):
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractBaseUser, PermissionsMixin):
    """A resident or a member of staff. The email address is the username."""

    # Empty (NULL) only on a resident record without an account (``has_account`` False).
    email = models.EmailField("email address", unique=True, null=True, blank=True)
    full_name = models.CharField("full name", max_length=200, blank=True)
    is_staff = models.BooleanField(
        "staff status",
        default=False,
        help_text="Staff can sign in to the admin.",
    )
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Untick this instead of deleting an account.",
    )
    date_joined = models.DateTimeField("date joined", default=timezone.now)
    # The pseudonymous key the interaction log records events under: the link from the
    # key to the person is this row, so it dies with the account and the events stay.
    person_key = models.CharField(max_length=32, unique=True, default=new_person_key, editable=False)

    # Profile: how the council reaches the resident. Cleaned by portal.lib.validation.
    phone = models.CharField("phone number", max_length=20, blank=True)
    address_line_1 = models.CharField("address line 1", max_length=100, blank=True)
    address_line_2 = models.CharField("address line 2", max_length=100, blank=True)
    town = models.CharField("town or city", max_length=60, blank=True)
    postcode = models.CharField(max_length=8, blank=True, help_text="Upper case, one space: SW1A 1AA")
    uprn = models.CharField(
        "UPRN", max_length=12, blank=True, help_text="Unique Property Reference Number of the address"
    )
    contact_preference = models.CharField(
        "how to contact", max_length=8, choices=ContactPreference.choices, default=ContactPreference.EMAIL
    )
    bill_reminders_by_text = models.BooleanField(
        "bill reminders by text",
        default=False,
        help_text="A text message with a link to pay, a few days before each of the resident's bills is due.",
    )
    # When the resident was last asked, at sign-in, to check an email address or phone number
    # Notify could not deliver to: a failure after this asks again (accounts.selectors.contact_flags_unseen).
    contact_check_shown_at = models.DateTimeField(
        "asked to check contact details at",
        null=True,
        blank=True,
        help_text="When the resident was last asked to check an email address or phone number "
        "that messages could not be delivered to.",
    )

    # A resident record the contact centre keeps for a caller with no account (or no email):
    # no password and no sign-in. The person can later add it to an account they make.
    has_account = models.BooleanField(
        "has an account",
        default=True,
        help_text="No for a record kept by the contact centre for a caller who has no account.",
    )
    contact_email = models.EmailField(
        "email for messages",
        blank=True,
        help_text="On a record without an account: where the council emails the resident, if anywhere.",
    )
    created_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The member of staff who made a record without an account.",
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=Q(contact_preference__in=ContactPreference.values),
                name="accounts_user_contact_preference_valid",
            ),
            models.CheckConstraint(
                condition=Q(has_account=False, email__isnull=True) | Q(has_account=True, email__isnull=False),
                name="accounts_user_email_iff_account",
            ),
            models.CheckConstraint(
                condition=~Q(contact_preference=ContactPreference.SMS) | ~Q(phone=""),
                name="accounts_user_sms_needs_phone",
            ),
            models.CheckConstraint(
                condition=~Q(contact_preference=ContactPreference.POST)
                | (~Q(address_line_1="") & ~Q(postcode="")),
                name="accounts_user_post_needs_address",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.contact_email or f"Resident record {self.pk}"

    def clean(self):
        super().clean()
        if self.email:
            self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return str(self)

    @property
    def message_email(self) -> str:
        """Where the council emails this resident: the sign-in address, or a record's own."""
        return self.email or self.contact_email

    def get_short_name(self) -> str:
        return self.full_name.split()[0] if self.full_name.strip() else (self.email or "")

    # Wagtail's admin reads first_name/last_name when it shows who is signed in.
    @property
    def first_name(self) -> str:
        return self.full_name.split()[0] if self.full_name.strip() else ""

    @property
    def last_name(self) -> str:
        parts = self.full_name.split()
        return " ".join(parts[1:]) if len(parts) > 1 else ""

    @property
    def support_needs_or_none(self):
        """The resident's SupportNeeds, or None (the reverse one-to-one raises when missing)."""
        try:
            return self.support_needs
        except models.ObjectDoesNotExist:
            return None

    @property
    def has_address(self) -> bool:
        return bool(self.address_line_1 and self.postcode)

    @property
    def address_lines(self) -> list[str]:
        return [line for line in (self.address_line_1, self.address_line_2, self.town, self.postcode) if line]


def _private_storage():
    return storages["private"]


def _export_path(instance: "DataExport", filename: str) -> str:
    return f"data-exports/{instance.pk}.zip"


class DataExport(models.Model):
    """A copy of everything the portal holds about one account, as a ZIP built in the background.

    The file lives in private storage (never under MEDIA_URL) and is only handed out by the
    download view, to the account it belongs to, until ``expires_at``. Deleting the account
    deletes its exports.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(
        max_length=10, choices=DataExportStatus.choices, default=DataExportStatus.PENDING
    )
    requested_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    file = models.FileField(storage=_private_storage, upload_to=_export_path, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["expires_at"], name="dataexport_expires")]

    def __str__(self) -> str:
        return f"Data export {self.pk} ({self.get_status_display()})"

    @property
    def is_downloadable(self) -> bool:
        return self.status == DataExportStatus.READY and bool(self.file) and self.expires_at > timezone.now()

    @property
    def is_failed(self) -> bool:
        """Given up on: it could not be prepared."""
        return self.status == DataExportStatus.FAILED


class SupportNeeds(models.Model):
    """Extra support a resident needs: given by them in their profile, or recorded by an
    officer after a conversation. Personal data: only staff who can work cases see it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_needs"
    )
    needs = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=100, blank=True, help_text="For an interpreter")
    details = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The officer who recorded them, when not the resident.",
    )

    class Meta:
        verbose_name_plural = "support needs"

    def __str__(self) -> str:
        return f"Support needs of {self.user_id}"

    @property
    def labels(self) -> list[str]:
        labels = [SupportNeed(code).label for code in self.needs if code in SupportNeed.values]
        if self.language and SupportNeed.INTERPRETER in self.needs:
            labels = [
                f"{label} ({self.language})" if label == SupportNeed.INTERPRETER.label else label
                for label in labels
            ]
        return labels


class StaffAccess(models.Model):
    """One look at, or one thing done on, a resident's record by a member of staff.

    Written whenever the contact centre opens a resident record or acts for a resident
    (``accounts.services.staff_access_record``). The resident reads their own entries on
    their security page; auditors read all of them. ``call`` groups the entries of one
    conversation and ``contact`` is that conversation's recorded contact (the reason),
    filled in when the agent records it. The entry outlives both accounts: the names it
    needs are copied, and ``resident_key`` (the pseudonymous person key) stays.
    """

    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="staff_accesses"
    )
    resident_key = models.CharField(max_length=32, db_index=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_name = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=24, choices=StaffAccessAction.choices)
    channel = models.CharField(max_length=16, blank=True)
    identity = models.CharField(max_length=24, choices=IdentityCheck.choices, blank=True)
    call = models.UUIDField(null=True, blank=True, db_index=True)
    contact = models.ForeignKey(
        "interactions.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "staff access to a resident record"
        verbose_name_plural = "staff access to resident records"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["resident", "-at"], name="staffaccess_resident_at")]
        permissions = [("audit_staffaccess", "Can read every staff access to resident records")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=StaffAccessAction.values), name="accounts_staffaccess_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_name}: {self.get_action_display()}"


class ProxyQuerySet(models.QuerySet):
    def active(self, today=None) -> "ProxyQuerySet":
        """Accepted, not ended by either side, and not past its end date (the end date is the
        last day the person may act)."""
        today = today or timezone.localdate()
        return self.filter(person__isnull=False, accepted_at__isnull=False, ended_at__isnull=True).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today)
        )


class Proxy(models.Model):
    """A person a resident has named to act for them (a carer, a relative, an attorney).

    Made as an invitation to an email address (``invite_email``); only the SHA-256 of the
    invitation's token is kept (the raw token is only in the emailed link). The invited person
    accepts with their own account, from a verified address matching ``invite_email``, and
    becomes ``person``. While active (``Proxy.objects.active()``) they see the resident's
    requests, and may send messages (``can_submit``) and pay (``can_pay``) for them. Either
    side can end it; past ``ends_on`` it ends by itself.
    """

    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proxies")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="acting_for",
        help_text="The account acting for the resident; empty until the invitation is accepted.",
    )
    invite_email = models.EmailField("email address invited")
    relationship = models.CharField(max_length=12, choices=ProxyRelationship.choices)
    can_submit = models.BooleanField("can send requests and messages", default=False)
    can_pay = models.BooleanField("can pay", default=False)
    ends_on = models.DateField("end date", null=True, blank=True, help_text="The last day they may act.")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=8, choices=ProxyEndedBy.choices, blank=True)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    invitation_expires_at = models.DateTimeField()

    objects = ProxyQuerySet.as_manager()

    class Meta:
        verbose_name = "person acting for a resident"
        verbose_name_plural = "people acting for residents"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(person=F("resident")), name="accounts_proxy_not_self"),
            models.UniqueConstraint(
                fields=["resident", "person"],
                condition=Q(ended_at__isnull=True, person__isnull=False),
                name="accounts_proxy_one_active",
            ),
            models.CheckConstraint(
                condition=Q(relationship__in=ProxyRelationship.values),
                name="accounts_proxy_relationship_valid",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(person__isnull=False),
                name="accounts_proxy_accepted_has_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.invite_email} for {self.resident}"

    @property
    def state(self) -> str:
        if self.accepted_at is None:
            if self.ended_at is not None:
                return ProxyState.DECLINED
            return (
                ProxyState.INVITATION_EXPIRED
                if self.invitation_expires_at <= timezone.now()
                else ProxyState.INVITED
            )
        if self.ended_at is not None:
            return ProxyState.ENDED
        if self.ends_on is not None and self.ends_on < timezone.localdate():
            return ProxyState.EXPIRED
        return ProxyState.ACTIVE

    @property
    def state_label(self) -> str:
        return ProxyState(self.state).label

    @property
    def is_active(self) -> bool:
        return self.state == ProxyState.ACTIVE

    @property
    def is_pending(self) -> bool:
        """An invitation that can still be accepted."""
        return self.state == ProxyState.INVITED

    @property
    def can_be_ended(self) -> bool:
        """Active or still waiting: ending it takes access away, or withdraws the invitation."""
        return self.state in (ProxyState.ACTIVE, ProxyState.INVITED)

    @property
    def can_view(self) -> bool:
        """Viewing the resident's requests is always part of acting for them."""
        return True

    @property
    def permission_labels(self) -> list[str]:
        labels = ["See your requests"]
        if self.can_submit:
            labels.append("Send requests and messages for you")
        if self.can_pay:
            labels.append("Pay for you")
        return labels


class RecordLink(models.Model):
    """A resident record without an account, offered to an account or added to one.

    An agent who has identified a caller with an account can propose that a record the
    contact centre kept is theirs (``accounts.records.resident_record_link_propose``): the
    row is then an offer to that account, shown on its My account until the resident
    confirms (``resident_record_merge``). A record whose contact email the resident has
    verified is offered without a row. When a record is added to an account the row notes
    it (``merged_at``), the record is deleted and ``record_number`` keeps its old id, so a
    repeated confirmation finds the merge already done.
    """

    record = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="record_link"
    )
    record_number = models.PositiveIntegerField(
        unique=True, help_text="The record's id, kept after it is merged."
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="record_links"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_by_name = models.CharField(max_length=200, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(merged_at__isnull=True, record__isnull=False)
                | Q(merged_at__isnull=False, record__isnull=True),
                name="accounts_recordlink_offer_or_merged",
            ),
            models.CheckConstraint(condition=~Q(record=F("account")), name="accounts_recordlink_not_self"),
        ]

    def __str__(self) -> str:
        state = "added to" if self.merged_at else "offered to"
        return f"Record {self.record_number} {state} account {self.account_id}"
