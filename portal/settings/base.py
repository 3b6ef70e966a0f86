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
    "portal.interactions",
    "portal.cases",
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
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outermost after static files, so it sees the response every other middleware made.
    "portal.interactions.middleware.InteractionLogMiddleware",
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
                "wagtail.contrib.settings.context_processors.settings",
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
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
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

# Background work: Django's tasks framework.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

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
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
_GOVUK_FORMS = "accounts.allauth_forms.Govuk"
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
_GOVUK_MFA_FORMS = "accounts.mfa_forms.Govuk"
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
SANDBOX_DELAY_SECONDS = env("SANDBOX_DELAY_SECONDS", default=30, cast=int)
# Webhooks signed longer ago than this are refused (replays).
PAYMENTS_WEBHOOK_TOLERANCE = env("PAYMENTS_WEBHOOK_TOLERANCE", default=300, cast=int)
# An unpaid request is closed (closed_unpaid) this long after it was made.
PAYMENT_EXPIRY_HOURS = env("PAYMENT_EXPIRY_HOURS", default=72, cast=int)
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

# Internationalisation
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# Static and media files. Compiled CSS/JS go to static/build (never committed).
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Security headers. production.py tightens cookies and HTTPS.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

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

# Wagtail
WAGTAIL_SITE_NAME = env("COUNCIL_NAME", default="Anytown Council")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILADMIN_LOGIN_URL = "account_login"
# No Gravatar: it would send a hash of every staff email to a third party.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
# Staff change their email in My account, where the new address is verified first.
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "ods", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAILAPI_BASE_URL = SITE_URL
WAGTAILAPI_LIMIT_MAX = 100
# Rich text in the API (fields and StreamField blocks) as display HTML, links resolved;
# clients may ask for ?rich_text_format=markdown (or db_html) instead.
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
# Whole pages (and API responses) for visitors without a session come from the cache,
# with the CSP nonce and CSRF token filled in per response; any publish invalidates them.
CMS_PAGE_CACHE_ENABLED = env("CMS_PAGE_CACHE_ENABLED", default=True, cast=bool)

# Interaction log
INTERACTIONS_ENABLED = env("INTERACTIONS_ENABLED", default=True, cast=bool)
INTERACTIONS_RETENTION_DAYS = env("INTERACTIONS_RETENTION_DAYS", default=396, cast=int)  # 13 months
# Behind a proxy that sets X-Forwarded-For, the visitor key must hash the real client.
INTERACTIONS_TRUST_X_FORWARDED_FOR = env("INTERACTIONS_TRUST_X_FORWARDED_FOR", default=False, cast=bool)
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
