"""My account on a phone (375 by 812 pixels): no page is wider than the screen, and axe passes.

The tables (requests, payments, devices, activity, copies of your data) stack into one
card per row on small screens; without that the dashboard was 487 pixels wide.
"""

import pytest

from django.urls import reverse

from accounts.services import data_export_request
from payments.constants import PaymentStatus
from payments.services import payment_transition
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.e2e.conftest import Journey, _chromium
from tests.e2e.signin import sign_in
from tests.payments.factories import fee_case
from tests.portal.cases.factories import case_make

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def phone(live_server, transactional_db):
    with _chromium() as browser:
        context = browser.new_context(
            base_url=live_server.url,
            locale="en-GB",
            reduced_motion="reduce",
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield Journey(page, live_server.url)
        context.close()


def _resident_with_everything():
    user = UserFactory(
        email="alexandra.worthington-smythe@example.org", full_name="Alexandra Worthington-Smythe"
    )
    for title in ("Report a missed bin collection", "Report a pothole or damaged pavement"):
        case_make(resident=user, title=title)
    case_make(resident=user, title="Report fly-tipping on the public highway", status="in_progress")
    case_make(resident=user, title="Report graffiti", status="resolved")
    _, paid = fee_case(resident=user, title="Book a bulky waste collection")
    payment_transition(payment=paid, to=PaymentStatus.STARTED, source="system")
    payment_transition(payment=paid, to=PaymentStatus.SUCCESS, source="system")
    fee_case(resident=user, title="Apply for a resident parking permit")
    data_export_request(user=user)
    return user


def _fits(journey) -> int:
    return journey.page.evaluate("() => document.documentElement.scrollWidth")


def test_every_my_account_page_fits_a_phone(phone):
    user = _resident_with_everything()
    page = phone.page
    phone.goto(reverse("account_login"))
    sign_in(phone, user)

    pages = {
        "dashboard": reverse("my_account"),
        "requests": reverse("cases:list"),
        "payments": reverse("payments:history"),
        "profile": reverse("account_profile"),
        "security": reverse("account_security"),
        "your data": reverse("data_export"),
    }
    too_wide = {}
    for name, path in pages.items():
        response = phone.goto(path)  # runs axe
        assert response.status == 200, name
        assert phone.path() == path, name
        width = _fits(phone)
        if width > PHONE["width"]:
            too_wide[name] = width
    assert too_wide == {}, f"wider than the phone's 375 pixels: {too_wide}"

    # The tables really are stacked: one card per row, each value with its label.
    phone.goto(reverse("my_account"))
    first_row = page.locator("table.portal-table--stacked tbody tr").first
    assert first_row.evaluate("(row) => getComputedStyle(row).display") == "block"
    status = first_row.locator("td[data-label='Status']")
    assert status.evaluate("(cell) => getComputedStyle(cell, '::before').content") == '"Status"'

    # Deleting the account (after confirming it's you) lists what stays, and fits too.
    phone.goto(reverse("account_delete"))
    if phone.path().startswith(reverse("account_reauthenticate")):
        page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
        phone.click_and_check(page.locator("main").get_by_role("button", name="Continue"))
    assert phone.path() == reverse("account_delete")
    assert page.get_by_role("heading", name="Your open requests").is_visible()
    assert _fits(phone) <= PHONE["width"]


def test_on_a_wide_screen_the_tables_stay_tables(journey):
    user = _resident_with_everything()
    journey.goto(reverse("account_login"))
    sign_in(journey, user)
    journey.goto(reverse("my_account"))
    row = journey.page.locator("table.portal-table--stacked tbody tr").first
    assert row.evaluate("(row) => getComputedStyle(row).display") == "table-row"
