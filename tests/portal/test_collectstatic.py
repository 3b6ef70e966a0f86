"""The README's production step `collectstatic` works with the hashed (manifest) storage."""

import json

from tests.servers import run_manage

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": "collectstatic-test-" + "s" * 40,
    "ALLOWED_HOSTS": "portal.council.example",
    "SMTP_HOST": "smtp.council.example",
    "PAYMENTS_SANDBOX_TAKES_NO_MONEY": "true",
}


def test_collectstatic_with_production_settings_resolves_every_file_the_css_refers_to(tmp_path):
    result = run_manage("collectstatic", "--noinput", env={**PRODUCTION_ENV, "STATIC_ROOT": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    stylesheet = (tmp_path / manifest["css/portal.css"]).read_text()
    # The footer's crest (GOV.UK Frontend) is copied by the front-end build and hashed.
    crest = manifest["images/govuk-crest.svg"]
    assert f"../{crest}" in stylesheet
    assert (tmp_path / crest).exists()
