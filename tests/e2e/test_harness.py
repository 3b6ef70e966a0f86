"""The accessibility check itself must be able to fail."""

import pytest

from tests.e2e.conftest import AxeViolations, check_accessibility


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
