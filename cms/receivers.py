"""Cache invalidation on content changes, and the signals that send or stop service alerts
(framework and notification signals; the work is in ``services``)."""

import logging

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.documents.models import AbstractDocument
from wagtail.images.models import AbstractImage
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.search import index
from wagtail.signals import page_published, page_unpublished, post_page_move, published

from forms_engine.models import ServiceForm
from portal.notifications.services import sms_stopped

from .cache import content_version_bump
from .models import Alert
from .services import alert_published, alert_subscriptions_stop

logger = logging.getLogger(__name__)

# Saving or deleting any of these changes what a cached page or API response shows.
# Publishing saves the page, so Page covers publish as well as pages created live
# (``add_child``, the demo data); a draft save also bumps the version, which is harmless.
_SHOWN_IN_PAGES = (
    Page,
    PageViewRestriction,
    Site,
    BaseSiteSetting,
    BaseGenericSetting,
    AbstractImage,
    AbstractDocument,
)


@receiver(post_save)
@receiver(post_delete)
def _content_saved_or_deleted(sender, instance, **kwargs):
    # A service page's start button depends on whether its form is published.
    if isinstance(instance, (*_SHOWN_IN_PAGES, Alert, ServiceForm)):
        content_version_bump()


@receiver(page_unpublished)
@receiver(post_page_move)
def _page_unpublished_or_moved(sender, **kwargs):
    content_version_bump()


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
