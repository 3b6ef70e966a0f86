"""The messages an agent sends a caller from the contact centre, with their default wording
(editors change it in Wagtail: Messages). Sent by ``admin_views.calls`` through
``portal.notifications.services.message_send``: by the caller's preference, or by the
channel the agent chose with them (a link by text to the phone they are calling from)."""

from portal.notifications.services import MessageType, message_type_register

message_type_register(
    MessageType(
        key="contact_centre/call_code",
        name="Code to confirm it is the caller",
        description="A six-digit code the agent sends to the resident's email address or mobile "
        "number on the record, for the caller to read back. The code is kept out of the outbox.",
        group="Contact centre",
        placeholders={"code": "123456", "minutes": "10"},
        required=("code",),
        secret_placeholders=("code",),
        email_subject="Your code to confirm it is you",
        email_body="You are talking to us. Read this code to the person helping you: ((code))\n\n"
        "The code works for ((minutes)) minutes. If you are not talking to us, ignore this email: "
        "nobody can see your details without it.",
        sms_body="((council_name)): read this code to the person helping you: ((code)). It works "
        "for ((minutes)) minutes. If you are not talking to us, ignore this text.",
    ),
    MessageType(
        key="contact_centre/online_help",
        name="How to do it online next time",
        description="The link to the page or form on the council's website that the agent "
        "sends a caller at the end of a call, by email or text.",
        group="Contact centre",
        placeholders={"name": "Sam", "link": "https://www.example.gov.uk/bins/"},
        required=("link",),
        email_subject="How to do this online next time",
        email_body="Thank you for contacting us today. Next time, you can do this online, at any "
        "time of day:\n\n((link))\n\n((council_name))",
        sms_body="((council_name)): thank you for contacting us today. Next time you can do this "
        "online, at any time of day: ((link))",
    ),
)
