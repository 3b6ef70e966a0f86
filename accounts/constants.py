from datetime import timedelta

from django.db import models


class ContactPreference(models.TextChoices):
    """How a resident wants to hear from the council."""

    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    POST = "post", "Post"


class DataExportStatus(models.TextChoices):
    PENDING = "pending", "Being prepared"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Could not be prepared"


# Attempts at building one data export before it is given up, and the delay before
# each retry (seconds).
DATA_EXPORT_MAX_ATTEMPTS = 4
DATA_EXPORT_RETRY_DELAYS = (60, 300, 1800)
# How long past its backoff a failed export waits before the housekeeping queues it again
# (a retry the task backend deferred runs first).
DATA_EXPORT_RESUME_MARGIN = timedelta(minutes=10)


class SupportNeed(models.TextChoices):
    """Extra support a resident can ask for, so officers adapt how they help."""

    LARGE_PRINT = "large_print", "Large print, or letters in another format"
    INTERPRETER = "interpreter", "An interpreter"
    BSL = "bsl", "British Sign Language"
    PHONE = "phone_difficulty", "I find it hard to use the phone"
    READING = "reading", "Help reading or understanding forms and letters"
    CARER = "carer", "Someone else, such as a carer, acts for me"
    OTHER = "other", "Something else"


class IdentityCheck(models.TextChoices):
    """How a member of staff confirmed a caller is the resident before opening their record."""

    REFERENCE_AND_POSTCODE = "reference_postcode", "A case or bill reference and the postcode"
    ADDRESS_AND_CONTACT = "address_contact", "Full address and the phone number or email we hold"
    EMAILED_CODE = "emailed_code", "A code we emailed to them, read back"
    TEXTED_CODE = "texted_code", "A code we texted to their mobile, read back"
    ID_SEEN = "id_seen", "Photo identification seen at the desk"


class StaffAccessAction(models.TextChoices):
    """What a member of staff did with a resident's record: the resident reads these words."""

    RECORD_CREATED = "record_created", "Created a record for you"
    RECORD_OPENED = "record_opened", "Looked at your record"
    RECORD_UPDATED = "record_updated", "Updated your details"
    FORM_STARTED = "form_started", "Started a form for you"
    DRAFT_RESUMED = "draft_resumed", "Carried on a form you had started"
    SUBMITTED = "submitted", "Sent a request for you"
    PAYMENT_LINK_SENT = "payment_link_sent", "Sent you a link to pay"
    PAYMENT_PAGE_OPENED = "payment_page_opened", "Opened a payment page for you to pay"
    CONTACT_RECORDED = "contact_recorded", "Recorded your contact with us"
    ONLINE_HELP_SENT = "online_help_sent", "Sent you a link to do this online"
    RECORD_MERGED = "record_merged", "Added the record we kept for you to your account"
    RECORD_LINK_OFFERED = "record_link_offered", "Offered to add a record we kept for you to your account"


class ProxyRelationship(models.TextChoices):
    """How a person who acts for a resident knows them."""

    CARER = "carer", "Carer"
    RELATIVE = "relative", "Relative"
    ATTORNEY = "attorney", "Attorney (lasting power of attorney)"
    FRIEND = "friend", "Friend"
    OTHER = "other", "Other"


class ProxyEndedBy(models.TextChoices):
    RESIDENT = "resident", "The resident"
    PERSON = "person", "The person acting for them"


class ProxyState(models.TextChoices):
    """Where an arrangement stands; worked out from its dates (``Proxy.state``), never stored."""

    INVITED = "invited", "Invitation sent"
    INVITATION_EXPIRED = "invitation_expired", "Invitation expired"
    DECLINED = "declined", "Invitation declined"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "End date passed"
    ENDED = "ended", "Ended"


# How long an emailed invitation to act for a resident can be accepted.
PROXY_INVITATION_DAYS = 14
