"""The integrations' messages, with their default wording (editors change it in Wagtail:
Messages). Sent by ``services.deliveries`` to a team, by email only: never to a resident."""

from portal.notifications.services import MessageType, message_type_register

DELIVERY_FAILING = "integrations/delivery_failing"

message_type_register(
    MessageType(
        key=DELIVERY_FAILING,
        name="Deliveries to a back office are failing",
        description="To the destination's alert address (else the form's team) when a submission "
        "could not be delivered several times in a row, and when the portal stops trying.",
        group="Integrations",
        placeholders={
            "destination": "Confirm (highways)",
            "form": "Report a pothole",
            "reference": "RQ-4F7K2M",
            "attempts": "3",
            "state": "We will keep trying for about 3 days.",
            "error": "HTTP 503: Service Unavailable",
            "link": "https://www.example.gov.uk/admin/cases/123/",
        },
        required=("destination",),
        email_subject="Submissions are not reaching ((destination))",
        email_body="A submission of ((form)) (((reference))) could not be delivered to "
        "((destination)) after ((attempts)) attempts.\n\n"
        "The last error was: ((error))\n\n"
        "((state))\n\n"
        "The submission is safe in the portal. You can see the case and its delivery log, and "
        "resend it once the problem is fixed:\n((link))\n\n((council_name))",
    ),
)
