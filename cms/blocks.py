from wagtail import blocks


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=80, help_text="The button text, e.g. 'Report a missed bin'.")
    url = blocks.URLBlock(required=False, help_text="A link to another site.")
    page = blocks.PageChooserBlock(required=False, help_text="Or a page on this site.")

    class Meta:
        icon = "link"
        template = "cms/blocks/call_to_action.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", template="cms/blocks/heading.html")
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link", "document-link", "ol", "ul", "h3"])
    call_to_action = CallToActionBlock()
