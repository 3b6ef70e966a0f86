"""StreamField blocks: GOV.UK Design System components editors can place on any page."""

from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from .api_blocks import DocumentAPIMixin, ImageAPIMixin, LinkAPIMixin

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "link", "document-link", "ol", "ul"]


class LinkStructValue(blocks.StructValue):
    def href(self) -> str:
        page = self.get("page")
        return page.url if page else (self.get("url") or "")


class CallToActionBlock(LinkAPIMixin, blocks.StructBlock):
    """A button: a start button for the main online service, or a plain button."""

    text = blocks.CharBlock(max_length=80, help_text="e.g. 'Report a missed bin'")
    page = blocks.PageChooserBlock(required=False, help_text="A page on this site…")
    url = blocks.URLBlock(required=False, help_text="…or a link to another site.")
    start = blocks.BooleanBlock(required=False, default=True, help_text="Show as a start button (→)")

    class Meta:
        icon = "link"
        template = "cms/blocks/call_to_action.html"
        value_class = LinkStructValue
        label = "Call to action / start button"

    def clean(self, value):
        value = super().clean(value)
        if not value.get("page") and not value.get("url"):
            raise blocks.StructBlockValidationError(
                block_errors={"page": blocks.BlockValidationError("Choose a page or enter a link")}
            )
        return value


class StepBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    body = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, required=False)


class StepByStepBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120)
    steps = blocks.ListBlock(StepBlock(), min_num=1)

    class Meta:
        icon = "list-ol"
        template = "cms/blocks/step_by_step.html"
        label = "Step by step"


class InsetTextBlock(blocks.RichTextBlock):
    class Meta:
        icon = "pick"
        template = "cms/blocks/inset_text.html"
        label = "Inset text"


class WarningTextBlock(blocks.CharBlock):
    class Meta:
        icon = "warning"
        template = "cms/blocks/warning_text.html"
        label = "Warning text"


class DetailsBlock(blocks.StructBlock):
    summary = blocks.CharBlock(max_length=120, help_text="The link text people click to open it")
    body = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "collapse-down"
        template = "cms/blocks/details.html"
        label = "Details (show more)"


class AccordionBlock(blocks.StructBlock):
    sections = blocks.ListBlock(
        blocks.StructBlock(
            [
                ("heading", blocks.CharBlock(max_length=120)),
                ("body", blocks.RichTextBlock(features=RICH_TEXT_FEATURES)),
            ]
        ),
        min_num=1,
    )

    class Meta:
        icon = "list-ul"
        template = "cms/blocks/accordion.html"
        label = "Accordion"


class ContactBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120, default="Contact")
    name = blocks.CharBlock(required=False, max_length=120, help_text="e.g. Waste services")
    phone = blocks.CharBlock(required=False, max_length=40)
    email = blocks.EmailBlock(required=False)
    address = blocks.TextBlock(required=False)
    opening_hours = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "mail"
        template = "cms/blocks/contact.html"
        label = "Contact details"


class ImageBlock(ImageAPIMixin, blocks.StructBlock):
    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        required=False, max_length=250, help_text="Describe the image for people who cannot see it"
    )
    decorative = blocks.BooleanBlock(required=False, help_text="Decorative only (no description needed)")
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "cms/blocks/image.html"

    def clean(self, value):
        value = super().clean(value)
        if not value.get("alt_text") and not value.get("decorative"):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "alt_text": blocks.BlockValidationError("Describe the image, or mark it as decorative")
                }
            )
        return value


class DocumentLinkBlock(DocumentAPIMixin, blocks.StructBlock):
    document = DocumentChooserBlock()
    text = blocks.CharBlock(required=False, max_length=120, help_text="Defaults to the document title")

    class Meta:
        icon = "doc-full"
        template = "cms/blocks/document_link.html"
        label = "Document link"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", template="cms/blocks/heading.html", max_length=120)
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, template="cms/blocks/paragraph.html")
    call_to_action = CallToActionBlock()
    step_by_step = StepByStepBlock()
    inset_text = InsetTextBlock(features=["bold", "link"])
    warning_text = WarningTextBlock(max_length=300)
    details = DetailsBlock()
    accordion = AccordionBlock()
    contact = ContactBlock()
    table = TableBlock(template="cms/blocks/table.html")
    image = ImageBlock()
    document = DocumentLinkBlock()


class RelatedLinkBlock(LinkAPIMixin, blocks.StructBlock):
    text = blocks.CharBlock(max_length=120)
    page = blocks.PageChooserBlock(required=False)
    url = blocks.URLBlock(required=False)

    class Meta:
        icon = "link"
        value_class = LinkStructValue


class TopTaskBlock(LinkAPIMixin, blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        choices=[("report", "Report"), ("apply", "Apply"), ("pay", "Pay"), ("book", "Book"), ("find", "Find")]
    )
    text = blocks.CharBlock(max_length=80, help_text="e.g. 'Report a missed bin'")
    page = blocks.PageChooserBlock(required=False)
    url = blocks.URLBlock(required=False)

    class Meta:
        icon = "tick"
        value_class = LinkStructValue


class GuidePartBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    slug = blocks.RegexBlock(
        regex=r"^[a-z0-9-]+$",
        max_length=60,
        help_text="The end of the part's web address, e.g. 'who-can-apply' (lower case, numbers, hyphens)",
        error_messages={"invalid": "Use lower case letters, numbers and hyphens only"},
    )
    body = BodyBlock()

    class Meta:
        icon = "doc-full-inverse"
