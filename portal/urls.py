from allauth.account.decorators import secure_admin_login

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.api import api_router

from . import views

admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Portal administration"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Staff sign in through allauth (rate limits, MFA), never the admins' own forms.
    re_path(
        r"^admin/login/$",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    # My account's profile, security, data and deletion pages (before allauth: it wraps one of its views).
    path("", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("my-account/", views.my_account, name="my_account"),
    path("my-account/saved-forms/", views.saved_forms, name="saved_forms"),
    # Online forms: /forms/<slug>/ (before the CMS catch-all).
    path("forms/", include("forms_engine.urls")),
    # Residents' cases under /my-account/cases/, and /track/<token>/ for anonymous requests.
    path("", include("portal.cases.urls")),
    path("notifications/", include("portal.notifications.urls")),
    path("", include("portal.integrations.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Payments: /pay/ (pay a bill), /payments/... (fees, receipts, webhooks), /my-account/payments/.
urlpatterns += [path("", include("payments.urls"))]

# Wagtail's own front-end sign-in form (for pages restricted to signed-in people) would
# sign anyone in with a password alone: every sign-in goes through allauth and its 2-step stage.
urlpatterns += [
    re_path(r"^_util/login/$", RedirectView.as_view(pattern_name="account_login", query_string=True)),
    path("", include("cms.urls")),
    path("", include(wagtail_urls)),
]

# allauth answers its own rate limits with this view: "Too many attempts", and when to try again.
handler429 = "accounts.views.rate_limited"
# A database outage answers 503 "try again shortly" (portal.views.server_error).
handler500 = "portal.views.server_error"
