"""The messages a case sends its resident, with their default wording (editors change it in
Wagtail: Messages). Sent by ``services.notifications``."""

from portal.notifications.services import MessageType, message_type_register

_CASE_PLACEHOLDERS = {
    "name": "Sam",
    "reference": "RQ-4F7K2M",
    "title": "Report a missed bin collection",
    "status": "in progress",
    "message": "We will collect your bin on Thursday.",
    "next_steps": "An officer is working on your request. We aim to finish by 14 March 2027.",
    "link": "https://www.example.gov.uk/account/requests/RQ-4F7K2M/",
    "link_warning": "",
    "satisfaction": "How satisfied are you with the outcome? Tell us: https://www.example.gov.uk/s/abc",
    "reply_by_text": "Reply to this text to answer.",
}

_EMAIL_END = """((message))

What happens next: ((next_steps))

((satisfaction))

See your request and reply online:
((link))
((link_warning))

((council_name))"""

_LETTER_END = """((message))

What happens next: ((next_steps))

((satisfaction))

You can see your request and reply online at ((link)), or call us quoting ((reference)).

((council_name))"""

message_type_register(
    MessageType(
        key="cases/created",
        name="Request received",
        description="When a request is made for the resident (by an agent, or by a back office), "
        "or for an anonymous requester, with the link to follow it.",
        group="Requests",
        placeholders=_CASE_PLACEHOLDERS,
        required=("reference",),
        email_subject="Follow your request ((reference)) online",
        email_body="Hello ((name)),\n\nWe have received your request: ((title)).\n\n"
        "Your reference is ((reference)).\n\n" + _EMAIL_END,
        sms_body="((council_name)): we have received your request ((title)). Your reference is "
        "((reference)). Follow it: ((link))",
        letter_subject="Your request ((reference))",
        letter_body="Dear ((name)),\n\nWe have received your request: ((title)).\n\n"
        "Your reference is ((reference)).\n\n" + _LETTER_END,
    ),
    MessageType(
        key="cases/status_change",
        name="Request status changed",
        description="When an officer moves the resident's request on: received, in progress, "
        "waiting for the resident's reply, resolved or closed.",
        group="Requests",
        placeholders=_CASE_PLACEHOLDERS,
        required=("reference",),
        email_subject="Your request ((reference)): ((status))",
        email_body="Hello ((name)),\n\nThe status of your request ((reference)) (((title))) is now: "
        "((status)).\n\n" + _EMAIL_END,
        sms_body="((council_name)): your request ((reference)) is now ((status)). ((message)) "
        "((reply_by_text)) Details: ((link))",
        letter_subject="Your request ((reference)): ((status))",
        letter_body="Dear ((name)),\n\nThe status of your request ((reference)) (((title))) is now: "
        "((status)).\n\n" + _LETTER_END,
    ),
    MessageType(
        key="cases/officer_message",
        name="Message from an officer",
        description="When an officer writes to the resident about their request.",
        group="Requests",
        placeholders=_CASE_PLACEHOLDERS,
        required=("reference",),
        email_subject="New message about your request ((reference))",
        email_body="Hello ((name)),\n\nWe have sent you a message about your request ((reference)) "
        "(((title))).\n\n" + _EMAIL_END,
        sms_body="((council_name)) about your request ((reference)): ((message)) ((reply_by_text)) "
        "Details: ((link))",
        letter_subject="A message about your request ((reference))",
        letter_body="Dear ((name)),\n\nWe are writing about your request ((reference)) (((title))).\n\n"
        + _LETTER_END,
    ),
)
