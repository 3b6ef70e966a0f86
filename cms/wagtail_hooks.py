"""Wagtail admin hooks for council content."""

from django.urls import path, reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import UpdatedAtColumn
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import admin_views, permissions, selectors, services
from .models import SynonymGroup


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


@hooks.register("register_admin_urls")
def register_what_to_fix_urls():
    return [
        path("reports/what-to-fix/", admin_views.WhatToFixView.as_view(), name="cms_what_to_fix"),
        path(
            "reports/what-to-fix/add-search-term/",
            admin_views.AddSearchTermView.as_view(),
            name="cms_what_to_fix_add_term",
        ),
        path(
            "reports/what-to-fix/handled/<int:interaction_id>/",
            admin_views.MarkFeedbackHandledView.as_view(),
            name="cms_what_to_fix_handled",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_what_to_fix_menu_item():
    return ReviewMenuItem(
        "What to fix",
        reverse("cms_what_to_fix"),
        name="what-to-fix",
        icon_name="warning",
        order=660,
    )


@hooks.register("register_log_actions")
def register_what_to_fix_actions(actions):
    actions.register_action(services.SEARCH_TERM_ADDED_ACTION, "Add search term", "Search term added")
    actions.register_action(
        services.FEEDBACK_HANDLED_ACTION, "Mark feedback handled", "Feedback marked as handled"
    )


class SynonymGroupViewSet(SnippetViewSet):
    """Settings → Search synonyms, next to Promoted search results."""

    model = SynonymGroup
    icon = "search"
    menu_label = "Search synonyms"
    menu_name = "search-synonyms"
    menu_order = 901
    add_to_settings_menu = True
    url_prefix = "search-synonyms"
    search_fields = ["words"]
    search_backend_name = None
    ordering = ["words"]
    list_display = ["words", "a_to_z_page", UpdatedAtColumn()]
    copy_view_enabled = False
    inspect_view_enabled = False


register_snippet(SynonymGroupViewSet)
