"""Admin-wide hooks: the accessibility fixes for the staff pages and for Wagtail's own markup
(``portal/static/portal/admin/``; listed in ``tests/e2e/axe_staff_exceptions.py``)."""

from django.templatetags.static import static
from django.utils.html import format_html

from wagtail import hooks


@hooks.register("insert_global_admin_js")
def staff_accessibility_js():
    return format_html('<script src="{}" defer></script>', static("portal/admin/staff-accessibility.js"))


@hooks.register("insert_global_admin_css")
def staff_css():
    return format_html('<link rel="stylesheet" href="{}">', static("portal/admin/staff.css"))
