"""The editor's preview: every step of a form as residents will see it; and the banner of a
member of staff helping a caller on the resident pages (``includes/assisted_banner.html``)."""

from django import template

from portal.lib.assisted import assisted_for
from portal.lib.money import pounds

from .. import constants
from ..engine import StepForm, condition_text, fee_pence
from ..selectors import contact_centre_url

register = template.Library()


@register.simple_tag
def preview_steps(schema: dict) -> list[dict]:
    """Each step with its rendered questions and, in words, when the step is shown."""
    questions = {q["name"]: q for step in schema.get("steps") or [] for q in step["questions"]}
    steps = []
    for number, step in enumerate(schema.get("steps") or [], 1):
        form = StepForm(step=step, auto_id=f"preview-{number}-%s", preview_questions=questions)
        condition = step.get("condition")
        steps.append(
            {
                "number": number,
                "step": step,
                "rows": form.rows(),
                "condition": condition_text(condition, questions.get((condition or {}).get("field")))
                if condition
                else "",
            }
        )
    return steps


@register.simple_tag
def fee_text(schema: dict) -> str:
    fee = schema.get("fee") or {}
    if fee.get("type") == "fixed":
        return f"{pounds(fee_pence(schema, {}))}, paid online after the check-answers page"
    if fee.get("type") == "per_answer":
        amount = pounds(int(fee.get("amount_pence") or 0))
        return f"{amount} times the answer to ‘{fee.get('field')}’, paid online after the check-answers page"
    return ""


@register.simple_tag(takes_context=True)
def contact_centre_link(context, name: str) -> str:
    """A contact-centre page of the agent's current call (``selectors.contact_centre_url``)."""
    request = context.get("request")
    return contact_centre_url(name, assisted_for(request))


@register.filter
def assisted_phrase(channel: str) -> str:
    """ "by phone", "at a council office"...: how staff are helping, or helped, a resident."""
    return constants.assisted_phrase(channel)
