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


class SupportNeed(models.TextChoices):
    """Extra support a resident can ask for, so officers adapt how they help."""

    LARGE_PRINT = "large_print", "Large print, or letters in another format"
    INTERPRETER = "interpreter", "An interpreter"
    BSL = "bsl", "British Sign Language"
    PHONE = "phone_difficulty", "I find it hard to use the phone"
    READING = "reading", "Help reading or understanding forms and letters"
    CARER = "carer", "Someone else, such as a carer, acts for me"
    OTHER = "other", "Something else"
