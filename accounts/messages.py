"""The messages My account sends, with their default wording (editors change it in Wagtail:
Messages). Sent through ``portal.notifications.services.message_send`` by ``services``,
``proxies`` and the allauth adapter (the sign-in code by text)."""

from portal.notifications.services import MessageType, message_type_register

_PROXY_PLACEHOLDERS = {
    "resident_name": "Jo Resident",
    "person_name": "Sam Carer",
    "relationship": "carer",
    "link": "https://www.example.gov.uk/my-account/people-who-act-for-you/",
}

message_type_register(
    MessageType(
        key="accounts/data_export_ready",
        name="Your data is ready",
        description="When the copy of their data a resident asked for is ready to download "
        "(the link is to the 'Your data' page, where they sign in to download it).",
        group="My account",
        placeholders={
            "name": "Jo",
            "link": "https://www.example.gov.uk/my-account/your-data/",
            "expires_on": "14 March 2027",
        },
        required=("link",),
        email_subject="Your data is ready to download",
        email_body="Hello from ((council_name)).\n\n"
        "The copy of your data that you asked for is ready to download:\n\n((link))\n\n"
        "Sign in to download it. The link works until ((expires_on)).\n\n"
        "If you did not ask for a copy of your data, someone may be using your account. "
        "Change your password straight away and contact us.\n\n((council_name))",
        sms_body="((council_name)): the copy of your data you asked for is ready. Sign in to "
        "download it by ((expires_on)): ((link)) If you did not ask for it, change your password "
        "and contact us.",
    ),
    MessageType(
        key="accounts/proxy_invitation",
        name="Invitation to act for a resident",
        description="Sent to the email address a resident typed, asking that person to act for "
        "them. Only ever by email: the person accepts by signing in with that address. The "
        "link is kept out of the outbox.",
        group="My account",
        placeholders={
            "resident_name": "Jo Resident",
            "relationship": "carer",
            "permissions": "- see their requests and how they are going\n"
            "- send messages and replies about their requests for them",
            "until": "until 14 March 2027.",
            "link": "https://www.example.gov.uk/my-account/act-for/abc123/",
            "expires_on": "21 March 2027",
        },
        required=("link",),
        secret_placeholders=("link",),
        email_subject="((resident_name)) has asked you to act for them",
        email_body="Hello from ((council_name)).\n\n"
        "((resident_name)) has asked for you to be able to act for them with the council online, "
        "as their ((relationship)).\n\nYou would be able to:\n((permissions))\n\n((until))\n\n"
        "To accept or decline, use this link and sign in with your own account (or create one) "
        "using this email address:\n\n((link))\n\nThe link works until ((expires_on)).\n\n"
        "If you do not know ((resident_name)), you can ignore this email.\n\n((council_name))",
    ),
    MessageType(
        key="accounts/proxy_accepted",
        name="Someone can now act for the resident",
        description="When the person a resident invited accepts and can act for them.",
        group="My account",
        placeholders=_PROXY_PLACEHOLDERS,
        email_subject="((person_name)) can now act for you",
        email_body="Hello from ((council_name)).\n\n"
        "((person_name)) accepted your invitation and can now act for you online, as your "
        "((relationship)).\n\nYou can see who acts for you, and stop them at any time, here:\n\n"
        "((link))\n\nIf you did not ask for this, stop it straight away at that link and contact "
        "us.\n\n((council_name))",
        sms_body="((council_name)): ((person_name)) can now act for you online, as your "
        "((relationship)). If you did not ask for this, stop it now: ((link))",
        letter_subject="((person_name)) can now act for you",
        letter_body="Dear resident,\n\n((person_name)) accepted your invitation and can now act for "
        "you online, as your ((relationship)).\n\nYou can see who acts for you, and stop them at "
        "any time, at ((link)). If you did not ask for this, contact us straight away.\n\n"
        "((council_name))",
    ),
    MessageType(
        key="accounts/proxy_ended",
        name="You can no longer act for a resident",
        description="Sent to the person who acted for a resident when the resident stops them.",
        group="My account",
        placeholders=_PROXY_PLACEHOLDERS,
        email_subject="You can no longer act for ((resident_name))",
        email_body="Hello from ((council_name)).\n\n"
        "((resident_name)) has stopped you acting for them online. You can no longer see or act "
        "on their requests.\n\nIf you think this is a mistake, talk to ((resident_name)).\n\n"
        "((council_name))",
        sms_body="((council_name)): ((resident_name)) has stopped you acting for them online. You "
        "can no longer see or act on their requests.",
        letter_subject="You can no longer act for ((resident_name))",
        letter_body="Dear resident,\n\n((resident_name)) has stopped you acting for them online. "
        "You can no longer see or act on their requests.\n\nIf you think this is a mistake, talk "
        "to ((resident_name)).\n\n((council_name))",
    ),
    MessageType(
        key="accounts/proxy_stopped",
        name="Someone no longer acts for the resident",
        description="When the person acting for a resident stops doing so.",
        group="My account",
        placeholders=_PROXY_PLACEHOLDERS,
        email_subject="((person_name)) no longer acts for you",
        email_body="Hello from ((council_name)).\n\n"
        "((person_name)) has stopped acting for you online. They can no longer see or act on "
        "your requests.\n\nYou can see who acts for you here:\n\n((link))\n\n((council_name))",
        sms_body="((council_name)): ((person_name)) has stopped acting for you online. See who "
        "acts for you: ((link))",
        letter_subject="((person_name)) no longer acts for you",
        letter_body="Dear resident,\n\n((person_name)) has stopped acting for you online. They can "
        "no longer see or act on your requests.\n\nYou can see who acts for you at ((link)).\n\n"
        "((council_name))",
    ),
    MessageType(
        key="accounts/phone_changed",
        name="Your mobile number was changed",
        description="By email to the account's own address whenever the resident's phone number "
        "changes, because sign-in codes and messages may now go to the new number: if someone "
        "else changed it, the resident can act at once. Email only.",
        group="My account",
        placeholders={
            "name": "Sam",
            "ending": "123",
            "link": "https://www.example.gov.uk/my-account/security/",
        },
        email_subject="Your phone number was changed",
        email_body="Hello ((name)),\n\nThe phone number on your ((council_name)) account was changed. "
        "It now ends in ((ending)). Text messages, and sign-in codes if you chose texts, go to it.\n\n"
        "If you did not change it, sign in, change your password and your phone number, and sign "
        "out of other devices:\n\n((link))\n\n((council_name))",
    ),
)
