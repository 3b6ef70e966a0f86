"""Production settings refuse to start insecure, and pass Django's deployment checks."""

from tests.servers import run_manage

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": "x" * 20 + "a-production-like-secret-key-with-entropy-0123456789",
    "ALLOWED_HOSTS": "portal.council.example",
    "SMTP_HOST": "smtp.council.example",
    # Without Stripe keys, production starts on the sandbox only when told it takes no money.
    "PAYMENTS_SANDBOX_TAKES_NO_MONEY": "true",
}


def test_production_passes_check_deploy_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_requires_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_production_refuses_demo_data():
    result = run_manage("load_demo", env=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "Demo data is disabled" in result.stderr


def test_production_cookies_are_secure_and_http_only_and_limits_use_a_shared_cache():
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE, "
        "s.CSRF_COOKIE_HTTPONLY, s.SESSION_COOKIE_NAME, s.CACHES['default']['BACKEND'])"
    )
    result = run_manage("shell", "--no-imports", "-c", script, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    secure, http_only, csrf_secure, csrf_http_only, name, cache = result.stdout.split()
    assert (secure, http_only, csrf_secure, csrf_http_only) == ("True", "True", "True", "True")
    assert name.startswith("__Host-")
    # Rate limits live in the cache: it must be shared by every process, never per-process memory.
    assert cache in (
        "django.core.cache.backends.db.DatabaseCache",
        "portal.lib.redis_cache.PortalRedisCache",
    )


def test_production_refuses_the_demo_code_command():
    result = run_manage("demo_totp_code", "officer@example.com", env=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "Demo data is disabled" in result.stderr
