"""Settings shared by every environment. Deployment differences come from ``env()``."""

from pathlib import Path

import dj_database_url

from django.utils.csp import CSP

from .env import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"], cast=list)
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS", default=[], cast=list)
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Loading demo data (accounts with known passwords) is refused unless this is on.
PORTAL_ALLOW_DEMO_DATA = env("PORTAL_ALLOW_DEMO_DATA", default=False, cast=bool)

INSTALLED_APPS = [
    # Portal apps first so their templates override the packages' own.
    "portal",
    "portal.notifications",
    # Before django_tasks_db: its db_worker command adds a heartbeat to that app's worker.
    "portal.worker",
    "portal.interactions",
    "portal.cases",
    "portal.insights",
    "portal.contact_centre",
    "portal.integrations",
    "accounts",
    "cms",
    "forms_engine",
    "payments",
    # Wagtail
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.table_block",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "accounts.apps.PortalWagtailUsersConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtail.api.v2",
    "rest_framework",
    "modelcluster",
    "taggit",
    # Sign-in
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.forms",
    "django_htmx",
    "django_tasks_db",
]

MIDDLEWARE = [
    # Outermost: Permissions-Policy and Cache-Control on every response, early errors included.
    "portal.middleware.ResponseHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # NUL bytes, broken UTF-8 and oversized bodies get 400/413 before anything reads them.
    "portal.middleware.RequestInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outermost after static files, so it sees the response every other middleware made.
    "portal.interactions.middleware.InteractionLogMiddleware",
    # Page-cache hits for visitors without cookies, before the rest (cms/page_cache.py).
    "cms.page_cache.PageCacheFastPathMiddleware",
    # The site, council settings and alerts every page shows, from the cache (cms/chrome.py).
    "cms.chrome.ChromeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "portal.middleware.AdminContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff without two-factor authentication are sent to set it up before the admins.
    "accounts.middleware.StaffMFAMiddleware",
    # "Last seen" for the sessions list on the security page, written at most every few minutes.
    "accounts.middleware.UserSessionActivityMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # request.assisted: the call a contact-centre agent is doing a caller's business on.
    "portal.contact_centre.middleware.AssistedCallMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Innermost: council pages for visitors without a session (cms/page_cache.py).
    "cms.page_cache.AnonymousPageCacheMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # Wagtail's settings context processor, with the council settings cached (cms/chrome.py).
                "cms.chrome.chrome_settings",
            ],
        },
    },
]
FORM_RENDERER = "portal.forms.GovukFormRenderer"

# Database: SQLite by default, anything dj-database-url understands through DATABASE_URL.
DATABASE_URL = env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    INSTALLED_APPS.append("django.contrib.postgres")
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: shared between processes, because sign-in rate limits live in it.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis backend, reusing one client per connection pool (portal/lib/redis_cache.py).
            "BACKEND": "portal.lib.redis_cache.PortalRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="portal"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    }
# Sessions are written to the database and, with Redis, read from the cache for at most
# five minutes: a signed-in page then reads its session without a query, and a cache
# failure never keeps an ended session alive (portal/lib/sessions.py).
SESSION_ENGINE = env(
    "SESSION_ENGINE",
    default="portal.lib.sessions" if REDIS_URL else "django.contrib.sessions.backends.db",
)

# Background work: Django's tasks framework.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}
# Claimed work that does not finish is retried (portal.worker, `tasks_housekeeping`): each
# db_worker records a heartbeat; a task left running by a worker silent for
# TASKS_WORKER_LOST_SECONDS, or running longer than TASKS_MAX_RUNTIME_SECONDS, is queued
# again, up to TASKS_MAX_CLAIMS claims in all.
TASKS_WORKER_HEARTBEAT_SECONDS = env("TASKS_WORKER_HEARTBEAT_SECONDS", default=15, cast=int)
TASKS_WORKER_LOST_SECONDS = env("TASKS_WORKER_LOST_SECONDS", default=90, cast=int)
TASKS_MAX_RUNTIME_SECONDS = env("TASKS_MAX_RUNTIME_SECONDS", default=3600, cast=int)
TASKS_MAX_CLAIMS = env("TASKS_MAX_CLAIMS", default=5, cast=int)
# The email outbox: how long one delivery attempt holds a message before it may be tried
# again, and how long an email's sign-in link or code is held (outside the outbox) for sending.
NOTIFICATIONS_SEND_LEASE_SECONDS = env("NOTIFICATIONS_SEND_LEASE_SECONDS", default=300, cast=int)
NOTIFICATIONS_SECRET_TTL_SECONDS = env("NOTIFICATIONS_SECRET_TTL_SECONDS", default=3600, cast=int)

# Users and sign-in
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "my_account"
LOGOUT_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.signup.SignupForm"
_GOVUK_FORMS = "accounts.forms.allauth.Govuk"
ACCOUNT_FORMS = {
    "login": f"{_GOVUK_FORMS}LoginForm",
    "signup": f"{_GOVUK_FORMS}SignupForm",
    "reset_password": f"{_GOVUK_FORMS}ResetPasswordForm",
    "reset_password_from_key": f"{_GOVUK_FORMS}ResetPasswordKeyForm",
    "change_password": f"{_GOVUK_FORMS}ChangePasswordForm",
    "set_password": f"{_GOVUK_FORMS}SetPasswordForm",
    "reauthenticate": f"{_GOVUK_FORMS}ReauthenticateForm",
    "confirm_email_verification_code": f"{_GOVUK_FORMS}ConfirmEmailVerificationCodeForm",
    "change_email": f"{_GOVUK_FORMS}ChangeEmailForm",
    "add_email": f"{_GOVUK_FORMS}AddEmailForm",
    "request_login_code": f"{_GOVUK_FORMS}RequestLoginCodeForm",
    "confirm_login_code": f"{_GOVUK_FORMS}ConfirmLoginCodeForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
# On "Check your email": send a new code, or correct a mistyped address.
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE = True
# Tell people about security changes on their account (password, email changed).
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Sign in with a one-time code sent by email, instead of the password.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# One email address per account; changing it sends a code to the new address first.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# allauth's rate limits (sign-in, codes, reset, 2-step verification codes) apply with their
# defaults; they live in the shared cache below, so every web process counts the same attempts.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env("COUNCIL_NAME", default="Anytown Council")
# Accept the code before and after the current one: phone clocks drift.
MFA_TOTP_TOLERANCE = 1
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
_GOVUK_MFA_FORMS = "accounts.forms.mfa.Govuk"
MFA_FORMS = {
    "authenticate": f"{_GOVUK_MFA_FORMS}AuthenticateForm",
    "reauthenticate": f"{_GOVUK_MFA_FORMS}ReauthenticateForm",
    "activate_totp": f"{_GOVUK_MFA_FORMS}ActivateTOTPForm",
    "add_webauthn": f"{_GOVUK_MFA_FORMS}AddWebAuthnForm",
    "edit_webauthn": f"{_GOVUK_MFA_FORMS}EditWebAuthnForm",
    "login_webauthn": f"{_GOVUK_MFA_FORMS}LoginWebAuthnForm",
}
# The security page lists each signed-in device with when it was last seen.
USERSESSIONS_TRACK_ACTIVITY = True

# Personal data (accounts): how long a resident's data export can be downloaded, and how
# long the records the council must keep (cases, payments) are kept, anonymised, after
# the account is deleted.
PORTAL_DATA_EXPORT_DAYS = env("PORTAL_DATA_EXPORT_DAYS", default=7, cast=int)
PORTAL_RETENTION_YEARS = env("PORTAL_RETENTION_YEARS", default=6, cast=int)

# Cases: the bank-holiday calendar deadlines skip (ENG, WLS, SCT or NIR), how long a
# resident may reopen a resolved case, and how long a form draft is kept.
PORTAL_BANK_HOLIDAYS = env("PORTAL_BANK_HOLIDAYS", default="ENG")
CASE_REOPEN_DAYS = env("CASE_REOPEN_DAYS", default=28, cast=int)
FORM_DRAFT_DAYS = env("FORM_DRAFT_DAYS", default=30, cast=int)
# A draft untouched this long counts as an abandoned form in the measures.
FORM_ABANDON_HOURS = env("FORM_ABANDON_HOURS", default=24, cast=int)

# Payments: Stripe when both its keys are set, otherwise the built-in sandbox (test cards only).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Only for tests and local fakes: where stripe-python sends API requests.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
PAYMENTS_PROVIDER = env("PAYMENTS_PROVIDER", default="auto")
if PAYMENTS_PROVIDER == "auto":
    PAYMENTS_PROVIDER = "stripe" if STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET else "sandbox"
SANDBOX_WEBHOOK_SECRET = env("SANDBOX_WEBHOOK_SECRET", default="")
# Outside development (DEBUG off) the portal refuses to run on the sandbox, whose test cards
# "pay" without taking money, unless this says it is meant to (a demo or test site).
PAYMENTS_SANDBOX_TAKES_NO_MONEY = env("PAYMENTS_SANDBOX_TAKES_NO_MONEY", default=False, cast=bool)
SANDBOX_DELAY_SECONDS = env("SANDBOX_DELAY_SECONDS", default=30, cast=int)
# Webhooks signed longer ago than this are refused (replays).
PAYMENTS_WEBHOOK_TOLERANCE = env("PAYMENTS_WEBHOOK_TOLERANCE", default=300, cast=int)
# An unpaid request is closed (closed_unpaid) this long after it was made.
PAYMENT_EXPIRY_HOURS = env("PAYMENT_EXPIRY_HOURS", default=72, cast=int)
# A payment link staff send a resident (by email or text) works for this many days.
PAYMENT_LINK_DAYS = env("PAYMENT_LINK_DAYS", default=7, cast=int)
# Bill reminders by text go this many days before a bill is due (payments.services.reminders).
BILL_REMINDER_DAYS = env("BILL_REMINDER_DAYS", default=5, cast=int)
# A payment still started or submitted after this long has its status fetched from the provider.
PAYMENT_STUCK_MINUTES = env("PAYMENT_STUCK_MINUTES", default=30, cast=int)

# Email: Django 6.1 mailers. SMTP when SMTP_HOST is set, otherwise the console.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="My account <noreply@council.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMTP_HOST = env("SMTP_HOST", default="")
if SMTP_HOST:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": SMTP_HOST,
                "port": env("SMTP_PORT", default=587, cast=int),
                "username": env("SMTP_USER", default=""),
                "password": env("SMTP_PASSWORD", default=""),
                "use_tls": env("SMTP_USE_TLS", default=True, cast=bool),
                "timeout": 20,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# GOV.UK Notify (portal.notifications.providers.notify). With an API key, email, text messages
# and letters all go through Notify; without one, email goes by the mailer above and texts and
# letters are logged to the console (and kept in the outbox, never dropped). One generic
# template per channel, its personalisation ((subject)), ((body)) and, for letters,
# ((address_line_1)) to ((address_line_7)) carrying the portal's wording.
NOTIFY_API_KEY = env("NOTIFY_API_KEY", default="")
NOTIFY_BASE_URL = env("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk")
NOTIFY_TIMEOUT_SECONDS = env("NOTIFY_TIMEOUT_SECONDS", default=20, cast=int)
NOTIFY_EMAIL_TEMPLATE_ID = env("NOTIFY_EMAIL_TEMPLATE_ID", default="")
NOTIFY_SMS_TEMPLATE_ID = env("NOTIFY_SMS_TEMPLATE_ID", default="")
NOTIFY_LETTER_TEMPLATE_ID = env("NOTIFY_LETTER_TEMPLATE_ID", default="")
# A letter template set in large print (Notify's letter templates have one type size); large
# print letters use the ordinary letter template, with a warning, until it is set.
NOTIFY_LARGE_PRINT_LETTER_TEMPLATE_ID = env("NOTIFY_LARGE_PRINT_LETTER_TEMPLATE_ID", default="")
# The bearer token GOV.UK Notify sends with its delivery receipts (set on Notify's callbacks
# page): /notifications/callbacks/notify/receipts/ refuses any receipt without it.
NOTIFY_CALLBACK_TOKEN = env("NOTIFY_CALLBACK_TOKEN", default="")
# Received text messages' callback; the delivery receipts' token when not set.
NOTIFY_INBOUND_CALLBACK_TOKEN = env("NOTIFY_INBOUND_CALLBACK_TOKEN", default="")

# Internationalisation
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# Static and media files. Compiled CSS/JS go to static/build (never committed).
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static" / "build", BASE_DIR / "static" / "images"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Files only their owner may see (data exports, later uploads): never served as /media/.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads (portal/lib/uploads.py): a request declaring a bigger body than its view takes is
# refused before it is read. Views without files take form data up to DATA_UPLOAD_MAX_MEMORY_SIZE;
# the admins take one file up to PORTAL_ADMIN_UPLOAD_MAX_BYTES (documents, images, bill imports).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "portal.lib.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
PORTAL_ADMIN_UPLOAD_MAX_BYTES = env("PORTAL_ADMIN_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024, cast=int)

# Security headers. production.py tightens cookies and HTTPS.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page needs are switched off (portal.middleware.ResponseHeadersMiddleware).
# Location questions offer "use my current location"; passkeys use WebAuthn.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "browsing-topics": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": ["self"],
    "geolocation": ["self"],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}
# Responses here never go into a browser's or proxy's cache (nor does any response to someone
# signed in): Cache-Control: private, no-store.
PORTAL_PRIVATE_PATH_PREFIXES = (
    "/my-account/",
    "/accounts/",
    "/account-deleted/",
    "/track/",
    "/pay/",
    "/payments/",
    "/forms/",
    "/admin/",
    "/django-admin/",
)

# Strict on the public site and My account: scripts only from here with a nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# The Wagtail and Django admins ship inline scripts and styles; they get their own policy.
ADMIN_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
ADMIN_PATH_PREFIXES = ("/admin/", "/django-admin/")
# A staff member's session ends after this long without activity (a resident's lasts two weeks).
PORTAL_STAFF_SESSION_SECONDS = env("PORTAL_STAFF_SESSION_SECONDS", default=8 * 3600, cast=int)

# Wagtail
WAGTAIL_SITE_NAME = env("COUNCIL_NAME", default="Anytown Council")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILADMIN_LOGIN_URL = "account_login"
# Pages restricted to signed-in people send them to allauth's sign-in too (never Wagtail's
# own /_util/login/ form, which would sign staff in with a password alone).
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
# No Gravatar: it would send a hash of every staff email to a third party.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
# Staff change their email in My account, where the new address is verified first.
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "portal.search_backend"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "ods", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAILAPI_BASE_URL = SITE_URL
WAGTAILAPI_LIMIT_MAX = 100
# Rich text in the API (fields and StreamField blocks) as display HTML, links resolved;
# clients may ask for ?rich_text_format=markdown (or db_html) instead.
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
# Whole pages (and API responses) for visitors without a session come from the cache,
# with the CSP nonce and CSRF token filled in per response; any publish invalidates them.
CMS_PAGE_CACHE_ENABLED = env("CMS_PAGE_CACHE_ENABLED", default=True, cast=bool)

# The proxies in front of the portal (portal/lib/client.py): every per-client rate limit and
# the visitor key read the client's address through them. Neither set: X-Forwarded-For is ignored.
PORTAL_TRUSTED_PROXIES = env("PORTAL_TRUSTED_PROXIES", default="", cast=list)
PORTAL_TRUSTED_PROXY_COUNT = env("PORTAL_TRUSTED_PROXY_COUNT", default=0, cast=int)

# Interaction log
INTERACTIONS_ENABLED = env("INTERACTIONS_ENABLED", default=True, cast=bool)
# Page views pushed to Redis and written in batches (portal.interactions.buffer): on by
# default when the cache is Redis. Other events are always written at once.
INTERACTIONS_PAGE_VIEW_BUFFER = env("INTERACTIONS_PAGE_VIEW_BUFFER", default=bool(REDIS_URL), cast=bool)
INTERACTIONS_BUFFER_FLUSH_SECONDS = env("INTERACTIONS_BUFFER_FLUSH_SECONDS", default=0.25, cast=float)
INTERACTIONS_BUFFER_FLUSH_AT = env("INTERACTIONS_BUFFER_FLUSH_AT", default=500, cast=int)
INTERACTIONS_RETENTION_DAYS = env("INTERACTIONS_RETENTION_DAYS", default=396, cast=int)  # 13 months
INTERACTIONS_EXCLUDED_PATH_PREFIXES = (
    "/healthz",
    "/admin/",
    "/django-admin/",
    "/api/",
    "/favicon.ico",
    "/robots.txt",
    "/sitemap.xml",
    "/feedback/",
    "/documents/",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
    },
}

# Integrations (portal.integrations): the Open311 server's discovery details and limits, and how
# long a back office has to answer a delivery.
OPEN311_JURISDICTION = env("OPEN311_JURISDICTION", default="")
OPEN311_CONTACT = env("OPEN311_CONTACT", default="")
OPEN311_KEY_SERVICE = env("OPEN311_KEY_SERVICE", default="")
OPEN311_PUBLIC_RATE_PER_MINUTE = env("OPEN311_PUBLIC_RATE_PER_MINUTE", default=300, cast=int)
INTEGRATIONS_HTTP_TIMEOUT_SECONDS = env("INTEGRATIONS_HTTP_TIMEOUT_SECONDS", default=10, cast=float)
# Off in production: a destination (webhook, Open311) on a loopback, private, link-local or
# cloud-metadata address is refused when saved and when sent to, so a destination's URL can
# never reach the portal's own network. On for local development and the tests' fake servers.
INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = env("INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES", default=False, cast=bool)
