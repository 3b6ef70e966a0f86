"""The editor's preview shows every step as residents will see it, with conditions in words."""

import pytest

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from tests.forms_engine.factories import form_build, question, step, when

pytestmark = pytest.mark.django_db


def test_the_preview_shows_every_step_and_explains_the_conditions():
    form = form_build(
        slug="preview-me",
        title="Report a pothole",
        intro="<p>Have the location ready.</p>",
        steps=[
            step(
                "About the pothole",
                question("radios", "depth", "How deep is it?", choices=["Shallow", "Deep"]),
                question("long_text", "danger", "Why is it dangerous?", condition=when("depth", "Deep")),
            ),
            step("Where is it?", question("location", "where", "Where is it?")),
            step(
                "Photo", question("file", "photo", "A photo", required=False), condition=when("depth", "Deep")
            ),
        ],
        fee_type="fixed",
        fee_amount_pence=1250,
        publish=False,
    )
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    response = form.serve_preview(request, form.default_preview_mode)
    html = response.render().content.decode()
    assert "Report a pothole" in html and "Have the location ready." in html
    for title in ("About the pothole", "Where is it?", "Photo"):
        assert title in html
    assert "Only if the answer to ‘How deep is it?’ is ‘Deep’" in html
    assert "Step 3 of 3" in html and "Otherwise this step is skipped" in html
    assert "£12.50" in html
    assert 'id="preview-2-where-description"' in html
