"""The accessibility check itself must be able to fail."""

import pytest

from tests.e2e.axe_staff_exceptions import AxeException
from tests.e2e.conftest import AxeViolations, check_accessibility, is_staff_page


def test_axe_check_fails_on_a_serious_violation(browser):
    page = browser.new_page()
    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
        '<form><input type="text" name="unlabelled"></form></main></body></html>'
    )
    with pytest.raises(AxeViolations, match="label"):
        check_accessibility(page)
    page.close()


def test_axe_check_passes_a_clean_page(browser):
    page = browser.new_page()
    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main>'
        '<h1>Title</h1><label for="a">Name</label><input id="a" type="text"></main></body></html>'
    )
    assert check_accessibility(page) == []
    page.close()


def test_an_exception_waives_one_rule_on_one_selector_only(browser):
    """The staff pages' exceptions are narrow: rule + selector, never the page."""
    page = browser.new_page()
    page.set_content(
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><main><h1>T</h1>'
        '<form><input type="text" class="wagtail-widget"><input type="text" class="ours"></form>'
        "</main></body></html>"
    )
    waive_widget = (AxeException("label", ".wagtail-widget", "test"),)
    # The other unlabelled input still fails...
    with pytest.raises(AxeViolations, match="ours"):
        check_accessibility(page, exceptions=waive_widget)
    page.evaluate("() => document.querySelector('.ours').setAttribute('aria-label', 'Ours')")
    # ...and once it is fixed, the waived one passes.
    assert check_accessibility(page, exceptions=waive_widget) == []
    # Waiving another rule on that element does not waive "label".
    with pytest.raises(AxeViolations, match="label"):
        check_accessibility(page, exceptions=(AxeException("target-size", ".wagtail-widget", "test"),))
    page.close()


def test_staff_pages_are_the_admin():
    assert is_staff_page("http://localhost:8000/admin/cases/")
    assert not is_staff_page("http://localhost:8000/my-account/")
    assert not is_staff_page("http://localhost:8000/accounts/login/?next=/admin/")
