from django.db import models


class SignIn(models.TextChoices):
    REQUIRED = "required", "Required: residents must sign in"
    OPTIONAL = "optional", "Optional: residents may sign in or continue without"
    NONE = "none", "Not needed: no sign-in offered (an email address gets the reference)"


class FeeType(models.TextChoices):
    NONE = "none", "No fee"
    FIXED = "fixed", "A fixed fee"
    PER_ANSWER = "per_answer", "Per item: an amount times a number answer"


class FormState(models.TextChoices):
    DRAFT = "draft", "Draft"
    LIVE = "live", "Live"
    ARCHIVED = "archived", "Archived"


class SubmissionChannel(models.TextChoices):
    WEB = "web", "Online"
    ASSISTED = "assisted", "Assisted (staff on the resident's behalf)"
