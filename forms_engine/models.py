import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import DraftStateMixin, LockableMixin, PreviewableMixin, RevisionMixin, WorkflowMixin
from wagtail.search import index

from payments.constants import VatStatus

from .blocks import StepBlock
from .constants import (
    DRAFT_RESUMABLE_STATUSES,
    DraftStatus,
    FeeType,
    FormState,
    SignIn,
    SubmissionChannel,
)
from .schema import schema_build, schema_errors

RICH_TEXT = ["bold", "italic", "link", "ol", "ul"]
# Addresses under /forms/ that are not forms (see forms_engine/urls.py).
RESERVED_SLUGS = frozenset({"files", "resume"})


class ServiceForm(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    PreviewableMixin,
    index.Indexed,
    models.Model,
):
    """An online form for a council service, built by editors. Publishing freezes a FormVersion.

    Forms go through the moderation workflow assigned to them ("Moderators approval", see
    migration 0003): editors submit, moderators approve or publish.
    """

    title = models.CharField(max_length=200, help_text="e.g. 'Book a bulky waste collection'")
    slug = models.SlugField(
        "Web address",
        max_length=80,
        unique=True,
        help_text="The end of the form's address: /forms/<this>/. Lower-case letters, digits and hyphens.",
    )
    service = models.ForeignKey(
        "interactions.LgslService",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The LGSL service, so the measures count this form against it.",
    )
    intro = RichTextField(
        "Before you start",
        features=RICH_TEXT,
        blank=True,
        help_text="What people need to have ready, shown before the first question.",
    )
    steps = StreamField([("step", StepBlock())], blank=True)

    sign_in = models.CharField("Signing in", max_length=10, choices=SignIn.choices, default=SignIn.OPTIONAL)

    fee_type = models.CharField("Fee", max_length=12, choices=FeeType.choices, default=FeeType.NONE)
    # Kept in pence; editors see and type pounds (forms.PoundsField).
    fee_amount_pence = models.PositiveIntegerField(
        "Fee (£)", null=True, blank=True, help_text="The fixed fee, or the amount for each item."
    )
    fee_field = models.CharField(
        "Fee counted from",
        max_length=40,
        blank=True,
        help_text="For a fee per item: the number question that says how many items.",
    )
    fee_description = models.CharField(
        "What the fee is for",
        max_length=200,
        blank=True,
        help_text="Shown on the payment page and receipt, e.g. 'Bulky waste collection'",
    )
    fee_vat = models.CharField(
        "VAT", max_length=16, choices=VatStatus.choices, default=VatStatus.OUTSIDE_SCOPE
    )

    reference_prefix = models.CharField(
        "Case reference letters",
        max_length=4,
        default="REQ",
        validators=[RegexValidator(r"^[A-Z]{2,4}$", "Use 2 to 4 capital letters, e.g. BWC")],
        help_text="Starts each case reference, e.g. BWC gives BWC-2026-000123.",
    )
    creates_case = models.BooleanField(
        "Open a case for each request",
        default=True,
        help_text="Officers work each request from the case queue.",
    )
    team = models.ForeignKey(
        "cases.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_forms",
        help_text="The team whose officers see these cases.",
    )
    sla_working_days = models.PositiveSmallIntegerField(
        "Working days to respond",
        null=True,
        blank=True,
        help_text="How many working days the council has to deal with a request "
        "(weekends and bank holidays skipped).",
    )
    confirmation_text = RichTextField(
        "Confirmation message",
        features=RICH_TEXT,
        blank=True,
        help_text="Shown under 'Request sent' on the confirmation page.",
    )
    next_steps = RichTextField(
        "What happens next",
        features=RICH_TEXT,
        blank=True,
        help_text="'What happens next' on the confirmation.",
    )

    privacy_notice_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name="privacy notice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The page that says how this form's answers are used. Leave blank to link to the "
        "site's privacy notice.",
    )
    privacy_notice_url = models.URLField(
        "or a privacy notice on another site", blank=True, help_text="e.g. a partner's privacy notice."
    )

    archived = models.BooleanField(default=False, help_text="Closed: residents see the message below.")
    open311_listed = models.BooleanField(
        "Take reports from other apps (Open311)",
        default=False,
        help_text="List this form as an Open311 service, so apps such as FixMyStreet can file "
        "reports to it. Only for street reports: their position and status are public.",
    )
    closed_message = RichTextField(
        "Message when closed",
        features=RICH_TEXT,
        blank=True,
        help_text="Shown when the form is archived: why, and what to do instead.",
    )

    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="content_type",
        object_id_field="object_id",
        for_concrete_model=False,
    )
    updated_at = models.DateTimeField(auto_now=True)
    # The editor's add page sends this with every save (autosave, "Save draft", "Publish"), so a
    # second save from the same page finds the form the first one created (admin_views).
    creation_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    search_fields = [index.SearchField("title"), index.AutocompleteField("title")]

    panels = [
        MultiFieldPanel(
            [FieldPanel("title"), FieldPanel("slug"), FieldPanel("service"), FieldPanel("intro")],
            heading="The form",
        ),
        FieldPanel("steps"),
        FieldPanel("sign_in"),
        MultiFieldPanel(
            [
                FieldPanel("fee_type"),
                FieldRowPanel([FieldPanel("fee_amount_pence"), FieldPanel("fee_field")]),
                FieldRowPanel([FieldPanel("fee_description"), FieldPanel("fee_vat")]),
            ],
            heading="Fee",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("reference_prefix"), FieldPanel("creates_case")]),
                FieldRowPanel([FieldPanel("team"), FieldPanel("sla_working_days")]),
                FieldPanel("confirmation_text"),
                FieldPanel("next_steps"),
                FieldPanel("open311_listed"),
            ],
            heading="Case settings",
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("privacy_notice_page"), FieldPanel("privacy_notice_url")])],
            heading="Privacy notice",
            help_text="Linked on the form's first page and on 'Check your answers'.",
        ),
        # ``archived`` is not here: the Archive and Reopen actions set it on the live form.
        MultiFieldPanel([FieldPanel("closed_message")], heading="When the form is closed"),
    ]

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_type=FeeType.NONE) | Q(fee_amount_pence__gt=0),
                name="service_form_fee_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forms_engine:start", kwargs={"slug": self.slug})

    @property
    def state(self) -> str:
        if self.archived:
            return FormState.ARCHIVED
        return FormState.LIVE if self.live else FormState.DRAFT

    def get_state_display(self) -> str:
        return FormState(self.state).label

    @property
    def service_code(self) -> int | None:
        return self.service_id

    @property
    def privacy_notice_href(self) -> str:
        """This form's own privacy notice ("" when it has none: the site's is linked instead)."""
        if self.privacy_notice_page_id:
            return self.privacy_notice_page.url or ""
        return self.privacy_notice_url

    def with_content_json(self, content):
        """A revision's content applied to this form, keeping whether it is archived.

        Archiving is a state of the form as a whole (like ``live``), set by the Archive and
        Reopen actions, so publishing an older draft never reopens or closes the form.
        """
        obj = super().with_content_json(content)
        obj.archived = self.archived
        return obj

    def publish(self, revision, *args, **kwargs):
        """Publish, then freeze the new live revision into a FormVersion at once.

        The engine would freeze it on the first visit anyway (``form_version_current``);
        doing it here means the version numbers follow publishing, whoever publishes
        (the editor, a scheduled publish, the demo loader).
        """
        result = super().publish(revision, *args, **kwargs)
        from .services import form_version_current  # circular: forms_engine.services imports these models

        form_version_current(form=type(self).objects.get(pk=self.pk))
        return result

    def clean(self):
        super().clean()
        errors = schema_errors(self)
        if self.privacy_notice_page_id and self.privacy_notice_url:
            errors["privacy_notice_url"] = "Choose a page or enter a link for the privacy notice, not both"
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = f"'{self.slug}' is used by the forms pages themselves: choose another address"
        if errors:
            raise ValidationError(errors)

    # Preview: the editor sees the start page and every step as residents will.
    def get_preview_template(self, request, mode_name):
        return "forms_engine/preview.html"

    def get_preview_context(self, request, mode_name):
        return {"form_definition": self, "schema": schema_build(self)}


class FormVersion(models.Model):
    """A frozen copy of a published form: what residents answered against."""

    form = models.ForeignKey(ServiceForm, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    revision = models.ForeignKey(
        "wagtailcore.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    schema = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["form", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="form_version_number_unique"),
            models.UniqueConstraint(
                fields=["form", "revision"],
                name="form_version_revision_unique",
                condition=Q(revision__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.form} v{self.number}"


def _private_storage():
    return storages["private"]


def draft_lifetime() -> timedelta:
    """How long a draft is kept after its last change (``FORM_DRAFT_DAYS``): the one rule for
    when a draft, and a resume link sent for it, expires."""
    return timedelta(days=settings.FORM_DRAFT_DAYS)


def draft_expiry_cutoff(now: datetime | None = None) -> datetime:
    """Drafts last changed before this moment have expired (for queries)."""
    return (now or timezone.now()) - draft_lifetime()


class DraftQuerySet(models.QuerySet):
    def resumable(self) -> "DraftQuerySet":
        """Drafts a resident can carry on with: in a state that can still be sent
        (``constants.DRAFT_RESUMABLE_STATUSES``) and not past their lifetime (``is_expired``)."""
        return self.filter(status__in=DRAFT_RESUMABLE_STATUSES, updated_at__gte=draft_expiry_cutoff())


class Draft(models.Model):
    """A resident's answers in progress: tied to an account, or to a browser session until sign-in.

    ``status`` moves as ``constants.DRAFT_TRANSITIONS`` says, written only by
    ``services.draft_transition``: in progress (or abandoned, when left idle) until it is sent
    (submitted, ``submitted_at``); either way it expires ``draft_lifetime()`` after its last
    change (``expires_at``), and the daily job marks it expired and deletes it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="form_drafts"
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    answers = models.JSONField(default=dict, blank=True)
    current_step = models.CharField(max_length=40, blank=True)
    # A resume link for anonymous residents: only its hash is kept, and it expires.
    resume_email = models.EmailField(blank=True)
    resume_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    resume_expires_at = models.DateTimeField(null=True, blank=True)
    # One submission per draft, whatever the number of clicks or refreshes.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    status = models.CharField(
        max_length=12, choices=DraftStatus.choices, default=DraftStatus.IN_PROGRESS, editable=False
    )
    abandoned_recorded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # What the measures need to count each draft once: the steps it has completed, and
    # its errors per question (a 3rd error on one question is a "validation loop").
    progress = models.JSONField(default=dict, blank=True, editable=False)

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["user", "-updated_at"], name="draft_user_recent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in DraftStatus]), name="draft_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Draft of {self.version.form} ({self.pk})"

    @property
    def expires_at(self) -> datetime:
        return self.updated_at + draft_lifetime()

    @property
    def is_expired(self) -> bool:
        """Marked expired, or past its lifetime and waiting for the daily job to mark it."""
        return self.status == DraftStatus.EXPIRED or self.updated_at < draft_expiry_cutoff()

    @property
    def is_in_progress(self) -> bool:
        return self.status == DraftStatus.IN_PROGRESS

    @property
    def is_abandoned(self) -> bool:
        return self.status == DraftStatus.ABANDONED

    @property
    def is_submitted(self) -> bool:
        return self.status == DraftStatus.SUBMITTED

    @property
    def is_resumable(self) -> bool:
        """The resident can carry on with it and send it (as ``Draft.objects.resumable()``)."""
        return self.status in DRAFT_RESUMABLE_STATUSES and not self.is_expired


class Upload(models.Model):
    """A file a resident gave on a form. Stored privately; served only to its owner and to staff."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(Draft, null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads")
    submission = models.ForeignKey(
        "Submission", null=True, blank=True, on_delete=models.CASCADE, related_name="uploads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="form_uploads",
    )
    field_name = models.CharField(max_length=40)
    file = models.FileField(upload_to="form-uploads/%Y/%m/", storage=_private_storage, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class Submission(models.Model):
    """A completed form: the answers exactly as given, against the version they were given on."""

    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="submission"
    )
    answers = models.JSONField()
    contact_email = models.EmailField(blank=True)
    channel = models.CharField(
        max_length=10, choices=SubmissionChannel.choices, default=SubmissionChannel.WEB
    )
    fee_pence = models.PositiveIntegerField(default=0)
    idempotency_key = models.UUIDField(unique=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.version.form} submitted {self.submitted_at:%Y-%m-%d}"
