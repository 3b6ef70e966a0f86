"""The test suite: the real database (SQLite, or PostgreSQL via DATABASE_URL)."""

from .base import *  # noqa: F403
from .base import CACHES, MIDDLEWARE
from .env import env

DEBUG = False
SECRET_KEY = "test-only-secret-key"
PORTAL_ALLOW_DEMO_DATA = True
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="portal-test")
# Static files come straight from the finders; no collectstatic needed.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]
