"""The test suite: the real database (SQLite, or PostgreSQL via DATABASE_URL)."""

import tempfile

from .base import *  # noqa: F403
from .base import CACHES, MIDDLEWARE, STORAGES
from .env import env

DEBUG = False
SECRET_KEY = "test-only-secret-key"
PORTAL_ALLOW_DEMO_DATA = True
# The tests pay with the sandbox (or a fake Stripe): no money is taken.
PAYMENTS_SANDBOX_TAKES_NO_MONEY = True
# The fake back offices (webhook receiver, Open311 server) listen on 127.0.0.1.
INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES = True
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="portal-test")
# Static files come straight from the finders; no collectstatic needed.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]
# Private files (data exports) go to a scratch directory, never the working tree.
STORAGES = {
    **STORAGES,
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="portal-test-private-"), "base_url": None},
    },
}
# Page views are written in the request (tests read them at once); the batch writer has its
# own tests (tests/portal/interactions/test_page_view_buffer.py).
INTERACTIONS_PAGE_VIEW_BUFFER = env("INTERACTIONS_PAGE_VIEW_BUFFER", default=False, cast=bool)
