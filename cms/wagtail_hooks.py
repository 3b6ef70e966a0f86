"""Wagtail admin hooks for council content."""

from django.urls import path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views, permissions, selectors


@hooks.register("register_admin_urls")
def register_review_urls():
    return [
        path(
            "reports/pages-due-for-review/",
            admin_views.PagesDueForReviewView.as_view(),
            name="cms_pages_due_for_review",
        ),
        path(
            "reports/pages-due-for-review/results/",
            admin_views.PagesDueForReviewView.as_view(results_only=True),
            name="cms_pages_due_for_review_results",
        ),
    ]


class ReviewMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_review(request.user)


@hooks.register("register_reports_menu_item")
def register_review_menu_item():
    return ReviewMenuItem(
        "Pages due for review",
        reverse("cms_pages_due_for_review"),
        name="pages-due-for-review",
        icon_name="time",
        order=650,
    )


@hooks.register("construct_homepage_panels")
def add_review_panel(request, panels):
    if permissions.can_review(request.user):
        panels.append(
            admin_views.PagesDueForReviewPanel(selectors.pages_due_for_review_for(request.user).count())
        )
