from django.db import models


class InteractionType(models.TextChoices):
    PAGE_VIEW = "page_view", "Page view"
    CONTACT_PAGE_VIEW = "contact_page_view", "Contact page view"
    SEARCH = "search", "Search"
    PAGE_FEEDBACK = "page_feedback", "Page feedback"
    FORM_START = "form_start", "Form started"
    FORM_STEP = "form_step", "Form step completed"
    FORM_ERROR = "form_error", "Form error"
    FORM_SAVE = "form_save", "Form saved"
    FORM_SUBMIT = "form_submit", "Form submitted"
    FORM_ABANDON = "form_abandon", "Form abandoned"
    PAYMENT_START = "payment_start", "Payment started"
    PAYMENT_RESULT = "payment_result", "Payment result"
    AUTH = "auth", "Sign-in event"
    CASE_VIEW = "case_view", "Case viewed"
    CASE_MESSAGE = "case_message", "Case message"
    CASE_UPDATE = "case_update", "Case status changed"
    ASSISTED_CONTACT = "assisted_contact", "Assisted contact"
    SATISFACTION = "satisfaction", "Satisfaction with the outcome"
    TRANSACTION = "transaction", "Transaction completed"
    # The council's own messages and the replies to them (portal.notifications): proactive
    # contact, counted apart from contact residents start (not in the avoidable-contact figures).
    MESSAGE_SENT = "message_sent", "Message sent to a resident"
    MESSAGE_RECEIVED = "message_received", "Text message received"


class Channel(models.TextChoices):
    """Contact channels, named after the Local Government Channel List (LGChL)."""

    WEB = "web", "Web"
    PHONE = "phone", "Telephone"
    FACE_TO_FACE = "face_to_face", "Face to face"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    SOCIAL = "social", "Social media"
    SMS = "sms", "Text message (SMS)"
    # Another app or site filing on a resident's behalf through the portal's APIs (Open311:
    # FixMyStreet, a council's own app). The client's name is in the event's extras.
    API = "api", "Other apps (API)"


# Self-service channels: the resident did it themselves, on the portal or through an app.
DIGITAL_CHANNELS = (Channel.WEB, Channel.API)


ASSISTED_CHANNELS = (
    Channel.PHONE,
    Channel.FACE_TO_FACE,
    Channel.EMAIL,
    Channel.LETTER,
    Channel.SOCIAL,
    Channel.SMS,
)


class SatisfactionScore(models.IntegerChoices):
    """The answers to "How satisfied are you with the outcome?", in the order residents see them.

    The top two points count as satisfied and the bottom two as dissatisfied.
    """

    VERY_SATISFIED = 5, "Very satisfied"
    SATISFIED = 4, "Satisfied"
    NEITHER = 3, "Neither satisfied nor dissatisfied"
    DISSATISFIED = 2, "Dissatisfied"
    VERY_DISSATISFIED = 1, "Very dissatisfied"


SATISFIED_SCORES = frozenset({5, 4})
DISSATISFIED_SCORES = frozenset({2, 1})
SATISFACTION_QUESTION = "How satisfied are you with the outcome?"
SATISFACTION_COMMENT_MAX_LENGTH = 1200


class AvoidableCategory(models.TextChoices):
    """Why an avoidable contact happened, following NI 14 practice."""

    PROGRESS_CHASING = "progress_chasing", "Progress chasing"
    CLARIFICATION = "clarification", "Seeking clarification"
    INFO_NOT_ONLINE = "info_not_online", "Information not online"
    MISDIRECTED = "misdirected", "Misdirected (wrong organisation or team)"
    REPEAT = "repeat", "Repeat contact"
    FAILED_ONLINE = "failed_online", "Tried online and failed"
    OTHER = "other", "Other"


class Outcome(models.TextChoices):
    """Outcomes the measures read. Features may record others; these have meaning here."""

    RESULTS = "results", "Search with results"
    NO_RESULTS = "no_results", "Search with no results"
    USEFUL = "useful", "Page was useful"
    NOT_USEFUL = "not_useful", "Page was not useful"
    SUCCESS = "success", "Succeeded"
    FAILED = "failed", "Failed"
    RESOLVED = "resolved", "Resolved at first contact"
    UNRESOLVED = "unresolved", "Not resolved at first contact"
    LOGIN_OK = "login_ok", "Signed in"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOGOUT = "logout", "Signed out"
    PASSWORD_RESET = "password_reset", "Password reset"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    MFA = "mfa", "Two-factor authentication"
    MFA_FAILED = "mfa_failed", "Two-factor code refused"
    LOGIN_CODE_FAILED = "login_code_failed", "Sign-in code refused"
    PASSWORD_SET = "password_set", "Password created"
    EMAIL_CHANGED = "email_changed", "Email address changed"
    SESSIONS_ENDED = "sessions_ended", "Signed out of other devices"
    DATA_EXPORT = "data_export", "Data export"
    ACCOUNT_DELETED = "account_deleted", "Account deleted"
    NO_CHANGE = "no_change", "Case viewed again with no update since (likely progress chasing)"


# What a ``transaction`` event completed: a service request (form) or a bill paid.
TRANSACTION_KINDS = ("form", "bill")

# Payment results that count as failures (GOV.UK Pay statuses).
PAYMENT_FAILURE_OUTCOMES = ("failed", "cancelled", "error")

# A field with this many errors in one form session is a "validation loop".
VALIDATION_LOOP_THRESHOLD = 3

# Days after a web visit within which an assisted contact about the same service
# counts as failed web contact, and the window for repeat contact.
FOLLOW_UP_DAYS = 7

# Socitm 2012 channel benchmarks (cost per transaction, in pence), the defaults for
# the council's own figures in site settings.
SOCITM_2012_COST_PENCE = {
    Channel.FACE_TO_FACE: 862,
    Channel.PHONE: 283,
    Channel.WEB: 15,
}
