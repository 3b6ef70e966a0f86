from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BodyBlock


class HomePage(Page):
    """The council site's front page."""

    intro = models.TextField(
        blank=True, help_text="One or two sentences under the heading, in plain English."
    )
    body = StreamField(BodyBlock(), blank=True, use_json_field=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    api_fields = [APIField("intro"), APIField("body")]

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = "home page"


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
