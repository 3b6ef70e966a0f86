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


@register_setting(icon="site")
class CouncilSettings(BaseSiteSetting):
    """The council's name and contact details, shown in the header, footer and emails."""

    council_name = models.CharField(max_length=120, default="Anytown Council")
    phone = models.CharField(max_length=40, blank=True, help_text="e.g. 01234 567890")
    opening_hours = models.CharField(
        max_length=200, blank=True, help_text="e.g. Monday to Friday, 9am to 5pm"
    )
    email = models.EmailField(blank=True, help_text="A general contact address, if any.")

    panels = [
        FieldPanel("council_name"),
        MultiFieldPanel(
            [FieldPanel("phone"), FieldPanel("opening_hours"), FieldPanel("email")],
            heading="Contact details",
        ),
    ]

    class Meta:
        verbose_name = "council settings"
