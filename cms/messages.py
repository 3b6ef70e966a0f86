"""The messages about service alerts, with their default wording (editors change it in
Wagtail: Messages). Sent by ``services``: an alert to its subscribers, and the link that
starts a subscription made without an account."""

from portal.notifications.services import MessageType, message_type_register

message_type_register(
    MessageType(
        key="cms/alert",
        name="Service alert",
        description="When an editor first publishes an alert (bins delayed, a road closed), to each "
        "resident who subscribed to alerts for its area or for every alert. Never by post.",
        group="Alerts",
        placeholders={
            "title": "Bin collections delayed",
            "summary": "Collections are up to two days late this week. Leave your bins out.",
            "area": "LS6, LS7",
            "unsubscribe_link": "https://www.example.gov.uk/alerts/unsubscribe/abc123/",
        },
        required=("summary", "unsubscribe_link"),
        secret_placeholders=("unsubscribe_link",),
        email_subject="((council_name)) alert: ((title))",
        email_body="((title))\n\n((summary))\n\nAreas: ((area))\n\nMore on our website: ((site_url))\n\n"
        "You get this because you asked for alerts from ((council_name)). "
        "To stop them: ((unsubscribe_link))",
        sms_body="((council_name)): ((title)). ((summary)) Stop these alerts: ((unsubscribe_link)) "
        "or reply STOP",
    ),
    MessageType(
        key="cms/alert_subscription_confirm",
        name="Confirm an alert subscription",
        description="When someone without an account (or with an address not on their account) "
        "asks for service alerts: the link that starts them.",
        group="Alerts",
        placeholders={
            "area": "LS6",
            "confirm_link": "https://www.example.gov.uk/alerts/confirm/abc123/",
        },
        required=("confirm_link",),
        secret_placeholders=("confirm_link",),
        email_subject="Confirm you want alerts from ((council_name))",
        email_body="You asked for service alerts from ((council_name)) for ((area)): bins delayed, "
        "roads closed, offices closed.\n\nTo start getting them, follow this link within 7 days:\n"
        "((confirm_link))\n\nIf you did not ask for them, ignore this email: you will get nothing more.",
        sms_body="((council_name)): to start getting service alerts for ((area)), open ((confirm_link)) "
        "within 7 days. If you did not ask, ignore this text.",
    ),
)
