"""Cache invalidation on content changes, and the signals that send or stop service alerts
(framework and notification signals; the work is in ``services``)."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.documents.models import AbstractDocument
from wagtail.images.models import AbstractImage
from wagtail.models import COMMENTS_RELATION_NAME, Page, PageViewRestriction, Site
from wagtail.search import index
from wagtail.signals import page_published, page_unpublished, post_page_move, published

from forms_engine.models import ServiceForm
from portal.notifications.services import sms_stopped

from .cache import content_version_bump, page_paths_bump
from .models import Alert, SynonymGroup
from .page_cache import published_page_paths
from .services import alert_published, alert_subscriptions_stop

logger = logging.getLogger(__name__)

# Saving or deleting any of these changes what every cached page may show (the site-wide
# version, ``cms.cache``). A service page's start button depends on whether its form is
# published. Pages are handled below: deleting one is site-wide, publishing one is not.
_SHOWN_ON_EVERY_PAGE = (
    PageViewRestriction,
    Site,
    BaseSiteSetting,
    BaseGenericSetting,
    AbstractImage,
    AbstractDocument,
    Alert,
    ServiceForm,
)
# A save of only these fields is a draft, a lock or a comment: the live page is unchanged.
_BOOKKEEPING_FIELDS = frozenset(
    {
        COMMENTS_RELATION_NAME,
        "latest_revision",
        "latest_revision_created_at",
        "draft_title",
        "has_unpublished_changes",
        "locked",
        "locked_at",
        "locked_by",
    }
)


def _now_and_after_commit(bump) -> None:
    """Bump now, and again once the transaction commits: a page rendered in between from the
    rows as they were before the commit would otherwise be stored under the new version."""
    bump()
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(bump, robust=True)


@receiver(post_save)
@receiver(post_delete)
def _content_saved_or_deleted(sender, instance, signal, **kwargs):
    if isinstance(instance, _SHOWN_ON_EVERY_PAGE) or (signal is post_delete and isinstance(instance, Page)):
        _now_and_after_commit(content_version_bump)


@receiver(page_unpublished)
@receiver(post_page_move)
def _page_unpublished_or_moved(sender, **kwargs):
    _now_and_after_commit(content_version_bump)


def _bookkeeping_only(update_fields) -> bool:
    return update_fields is not None and set(update_fields) <= _BOOKKEEPING_FIELDS


@receiver(pre_save)
def _page_before_save(sender, instance, update_fields=None, **kwargs):
    # What the live page was: a new title reaches the breadcrumbs below it, a new address
    # (slug) or going offline is site-wide.
    if isinstance(instance, Page) and instance.pk and not _bookkeeping_only(update_fields):
        instance._cms_cache_before = (
            Page.objects.filter(pk=instance.pk).values("title", "url_path", "live").first()
        )


@receiver(post_save)
def _page_saved(sender, instance, created=False, update_fields=None, **kwargs):
    """A page published (``revision.publish()`` saves it live), created live (``add_child``)
    or saved live directly: its paths and those it shows on (``published_page_paths``).

    Wagtail's ``page_published`` comes just after this save, so it needs nothing more here.
    """
    if not isinstance(instance, Page) or _bookkeeping_only(update_fields):
        return
    before = instance.__dict__.pop("_cms_cache_before", None)
    if not instance.live:
        if before is not None and before["live"]:  # taken offline without unpublish()
            _now_and_after_commit(content_version_bump)
        return
    if before is not None and before["url_path"] != instance.url_path:
        _now_and_after_commit(content_version_bump)
        return
    with_descendants = not created and (
        before is None or not before["live"] or before["title"] != instance.title
    )
    paths = published_page_paths(instance, with_descendants=with_descendants)
    _now_and_after_commit(lambda: page_paths_bump(paths))


@receiver(page_published)
def _page_published(sender, instance, **kwargs):
    # Search finds a page as soon as it is published, whether or not a task worker is up:
    # Wagtail's own index update is a background task (it runs as well, and is harmless).
    try:
        index.insert_or_update_object(instance.specific)
    except Exception:
        logger.exception("Could not index page %s on publish; the background task will", instance.pk)


@receiver(published, sender=Alert)
def _alert_published(sender, instance, **kwargs):
    # Sent on every publish (scheduled ones included); only the first one sends the alert.
    alert_published(alert=instance)


@receiver(sms_stopped)
def _sms_stopped(sender, phone="", **kwargs):
    # A resident replied STOP: their text alerts end with every other text.
    alert_subscriptions_stop(phone=phone)


# Search results (and the A to Z) are cached with the content version (cms.cache). Synonyms
# and promoted results change what a search finds and what the A to Z lists without
# changing a page, so they refresh everything too (rare edits, from the admin or a shell).
@receiver(post_save, sender=SynonymGroup, dispatch_uid="cms-synonyms-saved")
@receiver(post_delete, sender=SynonymGroup, dispatch_uid="cms-synonyms-deleted")
@receiver(post_save, sender=SearchPromotion, dispatch_uid="cms-promotion-saved")
@receiver(post_delete, sender=SearchPromotion, dispatch_uid="cms-promotion-deleted")
def _search_settings_changed(sender, **kwargs):
    _now_and_after_commit(content_version_bump)
