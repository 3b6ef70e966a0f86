import re
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import DraftStateMixin, Page, RevisionMixin
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from forms_engine.constants import FROM_SERVICE_PAGE
from portal.lib.postcodes import postcode_compact

from .blocks import RICH_TEXT_FEATURES, BodyBlock, GuidePartBlock, RelatedLinkBlock, TopTaskBlock
from .constants import (
    ALERT_SUMMARY_MAX_LENGTH,
    POSTCODE_DISTRICT_PATTERN,
    AlertChannel,
    AlertDeliveryOutcome,
    AlertSubscriptionEnd,
)

# The accessibility regulations name this standard; the statement says which version was tested.
WCAG_VERSIONS = [("2.2", "WCAG 2.2 AA"), ("2.1", "WCAG 2.1 AA")]


def start_url_validate(value: str) -> None:
    """A start button's web address: another site's (http or https), or a path on this site."""
    if value.startswith("/") and not value.startswith("//"):
        if any(character.isspace() for character in value):
            raise ValidationError("Enter a path on this site without spaces, like /pay/")
        return
    message = "Enter a web address starting https://, or a path on this site starting /"
    URLValidator(schemes=["http", "https"], message=message)(value)


class BasePage(Page):
    """What every council page has: a summary for lists and search, and a review date."""

    summary = models.TextField(
        blank=True,
        max_length=300,
        help_text="One or two sentences shown in lists, search results and the API.",
    )
    review_by = models.DateField(
        "review by",
        null=True,
        blank=True,
        help_text="When this page must next be checked. Pages past this date are listed for editors.",
    )

    promote_panels = [*Page.promote_panels, FieldPanel("summary"), FieldPanel("review_by")]
    search_fields = [*Page.search_fields, index.SearchField("summary", boost=2)]
    api_fields = [APIField("summary")]

    # Read by the interaction log's middleware (portal.interactions).
    interaction_service_code: int | None = None
    interaction_type: str | None = None

    class Meta:
        abstract = True

    @property
    def review_overdue(self) -> bool:
        return bool(self.review_by and self.review_by <= date.today())


class ServiceCodeMixin:
    """Pages about one LGSL service (a ``service`` foreign key): its code for the API and
    for the interaction log, which counts page views and feedback by service."""

    @property
    def service_code(self) -> int | None:
        return self.service_id

    @property
    def interaction_service_code(self) -> int | None:
        return self.service_id


class HomePage(RoutablePageMixin, BasePage):
    """The council site's front page: top tasks, alerts, categories and news. Also the A to Z."""

    intro = models.TextField(
        blank=True, help_text="One or two sentences under the heading, in plain English."
    )
    top_tasks = StreamField(
        [("task", TopTaskBlock())],
        blank=True,
        help_text="The things most people come to do: report, apply, pay, book.",
    )
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("top_tasks"), FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro"), index.SearchField("body")]
    api_fields = [*BasePage.api_fields, APIField("intro"), APIField("top_tasks"), APIField("body")]

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "cms.ServiceIndexPage",
        "cms.GuidePage",
        "cms.NewsIndexPage",
        "cms.ContactPage",
        "cms.StandardPage",
        "cms.AccessibilityStatementPage",
    ]

    class Meta:
        verbose_name = "home page"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["categories"] = ServiceIndexPage.objects.child_of(self).live().public().order_by("title")
        context["news"] = NewsPage.objects.live().public().descendant_of(self).order_by("-date", "-pk")[:3]
        return context

    @path("a-to-z/", name="a_to_z")
    def a_to_z(self, request):
        """Every live public service, and editors' synonyms pointing at one ("Rubbish — see Bin
        collection days"), by letter. Shown to everyone alike, so the page cache keeps it."""
        # cms.selectors imports this module: imported here, when the route is served.
        from . import selectors

        letters = selectors.a_to_z_letters(home=self, request=request)
        alphabet = [*(chr(c) for c in range(ord("A"), ord("Z") + 1)), *(k for k in letters if k == "#")]
        return self.render(
            request,
            template="cms/a_to_z.html",
            context_overrides={
                "letters": letters,
                "alphabet": [(letter, letter in letters) for letter in alphabet],
                "page_title": "A to Z of council services",
            },
        )

    def get_sitemap_urls(self, request=None):
        """The home page and its A to Z (a route of this page, so not a page of its own)."""
        urls = super().get_sitemap_urls(request)
        urls.append({**urls[0], "location": urls[0]["location"] + self.reverse_subpage("a_to_z")})
        return urls


class ServiceIndexPage(BasePage):
    """A category of services, e.g. 'Bins and recycling'."""

    intro = models.TextField(blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    api_fields = [*BasePage.api_fields, APIField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ServicePage", "cms.GuidePage", "cms.StandardPage"]

    class Meta:
        verbose_name = "service category"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["children"] = self.get_children().live().public().specific().order_by("title")
        return context


class ServicePage(ServiceCodeMixin, BasePage):
    """One council service: what it is, a start button, before you start, contact, related links."""

    service = models.ForeignKey(
        "interactions.LgslService",
        verbose_name="LGSL service",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pages",
        help_text="The standard service this page is about: contact measures are counted by it.",
    )
    keywords = models.CharField(
        max_length=255,
        blank=True,
        help_text="Other words people use, separated by commas, e.g. 'rubbish, bin day'.",
    )
    before_you_start = RichTextField(features=RICH_TEXT_FEATURES, blank=True)
    start_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="…or another page on this site…",
    )
    start_url = models.CharField(
        "start url",
        max_length=200,
        blank=True,
        validators=[start_url_validate],
        help_text="…or the online service on another site (https://…), or a service of this "
        "site that is not a page, such as /pay/ to pay a bill.",
    )
    start_form = models.ForeignKey(
        "forms_engine.ServiceForm",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_pages",
        help_text="Where the start button goes: an online form built in Forms…",
    )
    start_label = models.CharField(max_length=60, default="Start now")
    # Read by the self-service coverage measure (portal.insights.coverage), never shown to residents.
    not_suitable_online = models.BooleanField(
        "not suitable for online",
        default=False,
        help_text="Tick if residents cannot reasonably complete this service online, for example "
        "because it needs a home visit. It is then shown separately in Contact insights and "
        "left out of the share of services available online.",
    )
    not_suitable_online_reason = models.TextField(
        "why it is not suitable for online",
        max_length=500,
        blank=True,
        help_text="Needed when the box above is ticked. Staff see this in Contact insights.",
    )
    body = StreamField(BodyBlock(), blank=True)
    contact = StreamField(
        BodyBlock(), blank=True, help_text="How to contact the team, if the online service cannot help."
    )
    related_links = StreamField([("link", RelatedLinkBlock())], blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel([FieldPanel("service"), FieldPanel("keywords")], heading="Service"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("before_you_start"),
                FieldPanel("start_form"),
                FieldRowPanel([FieldPanel("start_page"), FieldPanel("start_url")]),
                FieldPanel("start_label"),
            ],
            heading="Start button",
        ),
        MultiFieldPanel(
            [FieldPanel("not_suitable_online"), FieldPanel("not_suitable_online_reason")],
            heading="Online service",
        ),
        FieldPanel("contact"),
        FieldPanel("related_links"),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("keywords", boost=3),
        index.SearchField("body"),
        index.SearchField("before_you_start"),
        index.FilterField("service"),
    ]
    api_fields = [
        *BasePage.api_fields,
        APIField("service_code"),
        APIField("keywords"),
        APIField("before_you_start"),
        APIField("start_link"),
        APIField("start_label"),
        APIField("body"),
        APIField("contact"),
        APIField("related_links"),
        APIField("category"),
    ]
    parent_page_types = ["cms.ServiceIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "service page"

    def clean(self):
        super().clean()
        chosen = [name for name in ("start_form", "start_page", "start_url") if getattr(self, name)]
        if len(chosen) > 1:
            message = "Choose one place for the start button to go: a form, a page or a link"
            raise ValidationError(dict.fromkeys(chosen[1:], message))
        self.not_suitable_online_reason = self.not_suitable_online_reason.strip()
        if self.not_suitable_online and not self.not_suitable_online_reason:
            raise ValidationError(
                {"not_suitable_online_reason": "Enter why this service is not suitable for online"}
            )

    @property
    def start_link(self) -> str:
        """Where the start button goes. A form that has never been published gives no button."""
        if self.start_form_id:
            form = self.start_form
            return form.get_absolute_url() if form.live else ""
        if self.start_page_id:
            return self.start_page.url or ""
        return self.start_url

    @property
    def start_button_href(self) -> str:
        """The start button's own link: ``start_link``, with a form marked as reached from this
        page, which is its start page (GOV.UK's pattern). When this page says what to have
        ready, the form then begins at its first question instead of showing a second "Before
        you start" (``forms_engine.views.start``). The API gives ``start_link`` unmarked."""
        link = self.start_link
        return f"{link}?{FROM_SERVICE_PAGE}" if link and self.start_form_id else link

    @cached_property
    def category(self) -> str:
        parent = self.get_parent()
        return parent.title if parent else ""


class GuidePage(ServiceCodeMixin, RoutablePageMixin, BasePage):
    """A guide in several parts, each with its own web address, contents and previous/next."""

    service = models.ForeignKey(
        "interactions.LgslService", null=True, blank=True, on_delete=models.PROTECT, related_name="guides"
    )
    parts = StreamField([("part", GuidePartBlock())], min_num=1)

    content_panels = [*Page.content_panels, FieldPanel("service"), FieldPanel("parts")]
    search_fields = [*BasePage.search_fields, index.SearchField("parts")]
    api_fields = [*BasePage.api_fields, APIField("service_code"), APIField("parts")]
    parent_page_types = ["cms.HomePage", "cms.ServiceIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "guide"

    def clean(self):
        super().clean()
        slugs = [part.value["slug"] for part in self.parts]
        if len(slugs) != len(set(slugs)):
            raise ValidationError({"parts": "Each part needs a different web address (slug)"})

    @path("", name="first_part")
    def first_part(self, request):
        return self._render_part(request, 0)

    @path("<slug:part_slug>/", name="part")
    def part(self, request, part_slug):
        for number, part in enumerate(self.parts):
            if part.value["slug"] == part_slug:
                return self._render_part(request, number)
        raise Http404("No such part of this guide")

    def _render_part(self, request, number: int):
        parts = list(self.parts)
        if not parts:
            raise Http404("This guide has no parts yet")
        links = [
            {
                "number": n + 1,
                "title": p.value["title"],
                "url": self.url + ("" if n == 0 else f"{p.value['slug']}/"),
            }
            for n, p in enumerate(parts)
        ]
        return self.render(
            request,
            context_overrides={
                "part": parts[number].value,
                "part_number": number + 1,
                "contents": links,
                "previous": links[number - 1] if number > 0 else None,
                "next": links[number + 1] if number + 1 < len(links) else None,
            },
        )

    def get_sitemap_urls(self, request=None):
        """Every part of the guide has its own address (the first part is the guide's)."""
        urls = super().get_sitemap_urls(request)
        base = urls[0]
        for part in list(self.parts)[1:]:
            urls.append({**base, "location": f"{base['location']}{part.value['slug']}/"})
        return urls


class NewsIndexPage(BasePage):
    intro = models.TextField(blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsPage"]

    class Meta:
        verbose_name = "news index"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        items = NewsPage.objects.live().public().child_of(self).order_by("-date", "-pk")
        context["news"] = Paginator(items, 10).get_page(request.GET.get("page"))
        return context


class NewsPage(BasePage):
    date = models.DateField("published on", default=date.today)
    body = StreamField(BodyBlock())

    content_panels = [*Page.content_panels, FieldPanel("date"), FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("body"), index.FilterField("date")]
    api_fields = [*BasePage.api_fields, APIField("date"), APIField("body")]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "news story"
        verbose_name_plural = "news stories"


class ContactPage(BasePage):
    """'Contact us': points to the online options first, then phone, visits and post."""

    intro = models.TextField(blank=True)
    online_options = StreamField(
        [("link", RelatedLinkBlock())],
        blank=True,
        help_text="The online services people most often call about. Shown before the phone number.",
    )
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("online_options"),
        FieldPanel("body"),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("body")]
    api_fields = [*BasePage.api_fields, APIField("intro"), APIField("online_options"), APIField("body")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    interaction_type = "contact_page_view"

    class Meta:
        verbose_name = "contact page"


class StandardPage(BasePage):
    body = StreamField(BodyBlock())

    content_panels = [*Page.content_panels, FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("body")]
    api_fields = [*BasePage.api_fields, APIField("body")]
    parent_page_types = ["cms.HomePage", "cms.ServiceIndexPage", "cms.StandardPage"]

    class Meta:
        verbose_name = "standard page"


class ComplianceStatus(models.TextChoices):
    """The three statements the accessibility regulations allow (GOV.UK model statement)."""

    FULL = "full", "Fully compliant"
    PARTIAL = "partial", "Partially compliant"
    NOT = "not", "Not compliant"


class AccessibilityStatementPage(BasePage):
    """The accessibility statement the regulations require, in the GOV.UK model statement's order.

    The legally required wording and headings are in the template; editors fill in what is
    specific to the council: the scope, what is not accessible and why, how to get in touch,
    and when the site was tested and the statement reviewed.
    """

    website_name = models.CharField(
        max_length=120, help_text="As people know it, e.g. 'the Anytown Council website'."
    )
    scope = models.TextField(
        "what this statement covers",
        help_text="e.g. 'the website at www.anytown.gov.uk, including its online forms and My account'.",
    )
    how_accessible = RichTextField(
        "how accessible this website is",
        features=RICH_TEXT_FEATURES,
        blank=True,
        help_text="What disabled people can do, and the parts that are not fully accessible, "
        "most important first.",
    )
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True, help_text="e.g. 01234 567890")
    contact_details = RichTextField(
        "other ways to contact us",
        features=RICH_TEXT_FEATURES,
        blank=True,
        help_text="e.g. a contact form, text relay, a British Sign Language service, an address.",
    )
    response_days = models.PositiveSmallIntegerField(
        "days to reply", default=5, help_text="How many working days you take to reply to a request."
    )
    compliance_status = models.CharField(
        max_length=10, choices=ComplianceStatus.choices, default=ComplianceStatus.PARTIAL
    )
    wcag_version = models.CharField("standard", max_length=4, choices=WCAG_VERSIONS, default="2.2")
    non_compliance = RichTextField(
        "non-compliance with the accessibility regulations",
        features=RICH_TEXT_FEATURES,
        blank=True,
        help_text="Each problem, the WCAG success criterion it fails, and when you plan to fix it.",
    )
    disproportionate_burden = RichTextField(
        features=RICH_TEXT_FEATURES,
        blank=True,
        help_text="Content you are not fixing because it would be a disproportionate burden, and why.",
    )
    out_of_scope = RichTextField(
        "content not within the scope of the regulations",
        features=RICH_TEXT_FEATURES,
        blank=True,
        help_text="e.g. PDFs published before 23 September 2018 that are not needed for a service.",
    )
    improvements = RichTextField(
        "what we're doing to improve accessibility",
        features=RICH_TEXT_FEATURES,
        blank=True,
    )
    prepared_on = models.DateField("statement prepared on", default=date.today)
    reviewed_on = models.DateField("last reviewed on", null=True, blank=True)
    tested_on = models.DateField("website last tested on", null=True, blank=True)
    tested_by = models.CharField(
        max_length=200, blank=True, help_text="Who tested it, e.g. 'our digital team' or a company's name."
    )
    test_method = RichTextField(
        "how the website was tested",
        features=RICH_TEXT_FEATURES,
        blank=True,
        help_text="e.g. which pages were tested and how they were chosen.",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("website_name"),
        FieldPanel("scope"),
        FieldPanel("how_accessible"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("contact_email"), FieldPanel("contact_phone")]),
                FieldPanel("contact_details"),
                FieldPanel("response_days"),
            ],
            heading="Feedback and contact information",
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("compliance_status"), FieldPanel("wcag_version")])],
            heading="Compliance status",
        ),
        MultiFieldPanel(
            [
                FieldPanel("non_compliance"),
                FieldPanel("disproportionate_burden"),
                FieldPanel("out_of_scope"),
            ],
            heading="Non-accessible content",
        ),
        FieldPanel("improvements"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("prepared_on"), FieldPanel("reviewed_on")]),
                FieldRowPanel([FieldPanel("tested_on"), FieldPanel("tested_by")]),
                FieldPanel("test_method"),
            ],
            heading="Preparation of this accessibility statement",
        ),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("how_accessible")]
    api_fields = [
        *BasePage.api_fields,
        APIField("compliance_status"),
        APIField("prepared_on"),
        APIField("reviewed_on"),
    ]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = "accessibility statement"

    def clean(self):
        super().clean()
        self.scope = self.scope.strip().rstrip(".")  # the statement's sentence adds the full stop
        if not (self.contact_email or self.contact_phone or self.contact_details):
            raise ValidationError(
                {"contact_email": "Give at least one way to contact you about accessibility"}
            )
        if self.compliance_status != ComplianceStatus.FULL and not (
            self.non_compliance or self.disproportionate_burden or self.out_of_scope
        ):
            raise ValidationError(
                {"non_compliance": "List the content that is not accessible, or choose 'Fully compliant'"}
            )
        if self.reviewed_on and self.prepared_on and self.reviewed_on < self.prepared_on:
            raise ValidationError(
                {"reviewed_on": "The review date must be on or after the date it was prepared"}
            )

    @property
    def is_fully_compliant(self) -> bool:
        return self.compliance_status == ComplianceStatus.FULL

    @property
    def is_not_compliant(self) -> bool:
        return self.compliance_status == ComplianceStatus.NOT


class AlertQuerySet(models.QuerySet):
    def active(self, at=None):
        """Published alerts in their time window: the ones the site shows now."""
        at = at or timezone.now()
        return (
            self.filter(live=True)
            .filter(starts_at__lte=at)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
        )


class AlertSeverity(models.TextChoices):
    INFO = "info", "Information"
    WARNING = "warning", "Warning: service disrupted"
    CRITICAL = "critical", "Critical: emergency"


def postcode_district(value: str) -> str:
    """A postcode's district (outward code): ``ls6 2ab`` → ``LS6``; ``LS6`` stays ``LS6``; "" if neither."""
    compact = postcode_compact(value)
    if POSTCODE_DISTRICT_PATTERN.match(compact):
        return compact
    if len(compact) > 4 and POSTCODE_DISTRICT_PATTERN.match(compact[:-3]) and compact[-3].isdigit():
        return compact[:-3]
    return ""


def postcode_districts_normalise(value: str) -> str:
    """``ls6 ls7,LS6`` → ``LS6, LS7``: postcode districts, upper case, comma separated, each once.

    Raises ``ValidationError`` naming what is not a district (a full postcode is refused: an
    alert is for districts, so that everyone in LS6 gets it, not one street)."""
    found: list[str] = []
    wrong: list[str] = []
    for part in re.split(r"[\s,;]+", value or ""):
        if not part:
            continue
        district = part.upper()
        if POSTCODE_DISTRICT_PATTERN.match(district):
            if district not in found:
                found.append(district)
        else:
            wrong.append(part)
    if wrong:
        raise ValidationError(
            f"Enter postcode districts (the first part of a postcode), like LS6, LS7. "
            f"Not a district: {', '.join(wrong)}"
        )
    return ", ".join(found)


@register_snippet
class Alert(DraftStateMixin, RevisionMixin, models.Model):
    """A site-wide banner, e.g. 'Bin collections delayed by snow', shown while active and published.

    Publishing it for the first time also sends it, once, to the residents who subscribed to
    alerts for its areas (``services.alert_published``); a later publish sends nothing again.
    """

    title = models.CharField(max_length=120, help_text="Short: e.g. 'Bin collections delayed'")
    message = RichTextField(
        features=["bold", "link"], help_text="What is happening and what people should do."
    )
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices, default=AlertSeverity.WARNING)
    starts_at = models.DateTimeField("show from", default=timezone.now)
    ends_at = models.DateTimeField(
        "show until", null=True, blank=True, help_text="Leave blank to show until removed."
    )
    summary = models.CharField(
        "summary for texts and emails",
        max_length=ALERT_SUMMARY_MAX_LENGTH,
        default="",
        help_text="Plain text, up to 300 characters: what subscribers get by text and email. "
        "Needed to publish.",
    )
    areas = models.CharField(
        "postcode districts",
        max_length=200,
        blank=True,
        help_text="The first part of the postcodes affected, like LS6, LS7. Leave blank for the whole "
        "council area. Subscribers for these districts, and those who get every alert, are sent it.",
    )
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="alert")

    objects = AlertQuerySet.as_manager()

    panels = [
        FieldPanel("title"),
        FieldPanel("message"),
        FieldPanel("severity"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        MultiFieldPanel(
            [FieldPanel("summary"), FieldPanel("areas")],
            heading="Subscribers",
            help_text="Publishing this alert for the first time sends it to its subscribers by email "
            "and text, once. Publishing it again (a correction, a new end time) changes the website "
            "but sends nothing again: if the change matters to subscribers, publish a new alert.",
        ),
    ]

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="alert_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        super().clean()
        if self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must be after the start"})
        try:
            self.areas = postcode_districts_normalise(self.areas)
        except ValidationError as exc:
            raise ValidationError({"areas": exc.messages}) from exc

    @property
    def area_list(self) -> list[str]:
        return [a for a in (self.areas or "").replace(",", " ").split() if a]


class AlertSending(models.Model):
    """An alert's one sending to its subscribers, made when it is first published.

    Its areas and start time are fixed then: the subscriptions it goes to are those confirmed
    by ``started_at`` whose area matched, so a resumed run (after a crash) reaches the same
    people, and a republish sends nothing new."""

    alert = models.OneToOneField(Alert, on_delete=models.CASCADE, primary_key=True, related_name="sending")
    started_at = models.DateTimeField(default=timezone.now)
    areas = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Sending of alert {self.alert_id}"


class AlertSubscription(models.Model):
    """A resident's wish to get alerts by email or text: for one postcode district, or all.

    ``user`` is empty for someone without an account, who gave only an address; their
    subscription starts once they follow the link sent to it (``confirmed_at``). The
    unsubscribe link's token is derived from ``unsubscribe_nonce`` with the site's secret
    key; only its hash is stored, to find the subscription by."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_subscriptions",
    )
    channel = models.CharField(max_length=10, choices=AlertChannel.choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    area = models.CharField(
        "postcode district", max_length=4, blank=True, help_text="Blank: every alert, wherever it is."
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirm_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    unsubscribe_nonce = models.CharField(max_length=64, editable=False)
    unsubscribe_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=20, choices=AlertSubscriptionEnd.choices, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(channel=AlertChannel.EMAIL) & ~Q(email=""))
                | (Q(channel=AlertChannel.SMS) & ~Q(phone="")),
                name="alert_subscription_has_its_address",
            ),
            models.UniqueConstraint(
                fields=["channel", "email", "phone", "area"],
                condition=Q(ended_at__isnull=True),
                name="alert_subscription_once_per_address_and_area",
            ),
        ]
        indexes = [models.Index(fields=["area", "confirmed_at"], name="cms_alertsub_area_confirmed")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} alerts for {self.area or 'everywhere'}"

    @property
    def address(self) -> str:
        return self.email if self.channel == AlertChannel.EMAIL else self.phone

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.ended_at is None


class AlertDelivery(models.Model):
    """An alert sent to one subscription: made, in the same transaction as the outbox row,
    before the message goes, and unique, so no subscription ever gets an alert twice."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(AlertSubscription, on_delete=models.CASCADE, related_name="deliveries")
    created_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=AlertDeliveryOutcome.choices)
    notification = models.ForeignKey(
        "notifications.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "alert deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "subscription"], name="alert_delivery_once_per_subscription"
            )
        ]

    def __str__(self) -> str:
        return f"Alert {self.alert_id} to subscription {self.subscription_id}"


def _cost_field(label: str, default: str | None = None) -> models.DecimalField:
    return models.DecimalField(
        f"{label} (£)",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal(default) if default else None,
        validators=[MinValueValidator(Decimal("0"))],
    )


@register_setting(icon="site")
class CouncilSettings(BaseSiteSetting):
    """The council's name and contact details, shown in the header, footer and emails."""

    council_name = models.CharField(max_length=120, default="Anytown Council")
    phone = models.CharField(max_length=40, blank=True, help_text="e.g. 01234 567890")
    opening_hours = models.CharField(
        max_length=200, blank=True, help_text="e.g. Monday to Friday, 9am to 5pm"
    )
    email = models.EmailField(blank=True, help_text="A general contact address, if any.")

    footer_links = StreamField(
        [("link", RelatedLinkBlock())],
        blank=True,
        help_text="Links at the bottom of every page, in this order. Include the accessibility "
        "statement, the privacy notice and the cookies page.",
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name="privacy notice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Linked where people give us their details: creating an account, and every online "
        "form that has no privacy notice of its own.",
    )

    # Set once ``statutory_pages_ensure`` has made the statutory pages: after that they are the
    # editors' to rename, move or delete, and are not made again at the next migrate.
    statutory_pages_made = models.BooleanField(default=False, editable=False)

    # Cost per transaction by channel, for the contact measures.
    cost_face_to_face = _cost_field("Face to face", "8.62")
    cost_phone = _cost_field("Telephone", "2.83")
    cost_web = _cost_field("Web", "0.15")
    cost_email = _cost_field("Email")
    cost_letter = _cost_field("Letter")
    cost_social = _cost_field("Social media")

    panels = [
        FieldPanel("council_name"),
        MultiFieldPanel(
            [FieldPanel("phone"), FieldPanel("opening_hours"), FieldPanel("email")],
            heading="Contact details",
        ),
        MultiFieldPanel(
            [FieldPanel("footer_links"), FieldPanel("privacy_page")], heading="Footer and privacy"
        ),
        MultiFieldPanel(
            [
                FieldPanel("cost_face_to_face"),
                FieldPanel("cost_phone"),
                FieldPanel("cost_web"),
                FieldPanel("cost_email"),
                FieldPanel("cost_letter"),
                FieldPanel("cost_social"),
            ],
            heading="Cost per transaction by channel",
            help_text=(
                "Used by Contact insights. The defaults are Socitm's 2012 benchmark figures "
                "(face to face £8.62, telephone £2.83, web £0.15): replace them with your "
                "council's own costs when you have them. Leave a channel blank if unknown."
            ),
        ),
    ]

    class Meta:
        verbose_name = "council settings"

    COST_FIELDS = {
        "face_to_face": "cost_face_to_face",
        "phone": "cost_phone",
        "web": "cost_web",
        "email": "cost_email",
        "letter": "cost_letter",
        "social": "cost_social",
    }
    BENCHMARK_COSTS = {"cost_face_to_face": "8.62", "cost_phone": "2.83", "cost_web": "0.15"}

    def unit_costs_pence(self) -> dict[str, int | None]:
        """Cost per transaction by channel in pence (None where the council has none)."""
        costs = {}
        for channel, field_name in self.COST_FIELDS.items():
            value = getattr(self, field_name)
            costs[channel] = None if value is None else int((value * 100).to_integral_value())
        return costs

    def costs_are_benchmarks(self) -> bool:
        return all(getattr(self, name) == Decimal(value) for name, value in self.BENCHMARK_COSTS.items())


class FeedbackHandled(models.Model):
    """An editor has dealt with a "not useful" answer's comment (Reports > What to fix).

    The answer itself stays in the interaction log unchanged; this only hides it from the
    report's default view. No cascade and no database constraint on the link, as with
    ``SatisfactionComment``: the log's purge deletes raw events in bulk, and a handled mark
    left behind for a purged event is never read.
    """

    interaction = models.OneToOneField(
        "interactions.Interaction",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "handled feedback comment"

    def __str__(self) -> str:
        return f"Feedback {self.interaction_id} handled"


def synonym_phrases(text: str) -> list[str]:
    """A synonym group's words as written by an editor, one phrase per comma: lower case, each
    phrase's words separated by one space, punctuation dropped, each phrase once."""
    phrases = (" ".join(re.findall(r"\w+", part.lower())) for part in (text or "").split(","))
    return list(dict.fromkeys(p for p in phrases if p))


class SynonymGroup(models.Model):
    """Words that mean the same to residents, so a search for one finds pages with any of them.

    A search expands each of its words or phrases that is in a group with the group's other
    words ("rubbish" also finds "bin" and "refuse"), and the A to Z lists the group's other
    words as "Rubbish — see Bin collection days". A word or phrase is in at most one group.
    """

    MAX_PHRASES = 20
    MAX_PHRASE_WORDS = 4

    words = models.TextField(
        "words that mean the same",
        help_text="Two or more words or short phrases that residents use for the same thing, "
        "separated by commas, for example: bin, bins, rubbish, refuse, wheelie bin. "
        "A search for any of them finds pages with any of them. Capital letters do not matter.",
    )
    a_to_z_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name="A to Z: see this page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="In the A to Z these words say “see” this page. Leave blank to use the service "
        "page whose title (then keywords) has most of these words.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    panels = [FieldPanel("words"), FieldPanel("a_to_z_page")]

    class Meta:
        verbose_name = "search synonym group"
        verbose_name_plural = "search synonyms"
        ordering = ["words"]
        constraints = [
            models.CheckConstraint(condition=~Q(words=""), name="synonym_group_has_words"),
        ]

    def __str__(self) -> str:
        return self.words

    @property
    def phrases(self) -> list[str]:
        return synonym_phrases(self.words)

    def clean(self):
        super().clean()
        phrases = synonym_phrases(self.words)
        if len(phrases) < 2:
            raise ValidationError(
                {
                    "words": "Enter at least 2 words or phrases that mean the same, separated by "
                    "commas, for example: rubbish, refuse"
                }
            )
        if len(phrases) > self.MAX_PHRASES:
            raise ValidationError(
                {"words": f"Enter {self.MAX_PHRASES} words or phrases or fewer: split them into groups"}
            )
        too_long = [p for p in phrases if len(p.split()) > self.MAX_PHRASE_WORDS or len(p) > 60]
        if too_long:
            raise ValidationError(
                {
                    "words": f"Each phrase must be {self.MAX_PHRASE_WORDS} words or fewer "
                    f"(and 60 characters): shorten “{too_long[0]}”"
                }
            )
        from .selectors import synonym_key  # the search's own matching (selectors import models)

        mine = [(synonym_key(p), p) for p in phrases]
        others = SynonymGroup.objects.exclude(pk=self.pk) if self.pk else SynonymGroup.objects.all()
        for other in others.only("words"):
            # Compared as the search matches them: "bins" here and "bin" there are one word.
            theirs = {synonym_key(p) for p in other.phrases}
            shared = [p for key, p in mine if key in theirs]
            if shared:
                raise ValidationError(
                    {
                        "words": f"“{shared[0]}” is already in the group “{other.words}”. A word can "
                        "be in only one group: add these words to that group, or remove it from there first"
                    }
                )
        self.words = ", ".join(phrases)
