from allauth.account import views as allauth_views
from allauth.account.decorators import reauthentication_required

from django.urls import path

from . import views

urlpatterns = [
    path("my-account/profile/", views.profile, name="account_profile"),
    path("my-account/profile/change/<slug:section>/", views.profile_change, name="account_profile_change"),
    path("my-account/profile/support/", views.support_needs, name="account_support_needs"),
    path("my-account/profile/check-contact-details/", views.contact_check, name="account_contact_check"),
    path("my-account/security/", views.security, name="account_security"),
    path(
        "my-account/security/sign-out-other-devices/",
        views.sessions_end_others,
        name="account_sessions_end_others",
    ),
    path(
        "my-account/security/2-step-verification-required/",
        views.mfa_required,
        name="account_mfa_required",
    ),
    path(
        "my-account/security/2-step-verification-continue/",
        views.mfa_continue,
        name="account_mfa_continue",
    ),
    path("my-account/people-who-act-for-you/", views.proxies.proxies, name="account_proxies"),
    path("my-account/people-who-act-for-you/add/", views.proxies.proxy_add, name="account_proxy_add"),
    path(
        "my-account/people-who-act-for-you/<int:pk>/end/",
        views.proxies.proxy_end_view,
        name="account_proxy_end",
    ),
    path("my-account/act-for/<str:token>/", views.proxies.proxy_invitation, name="account_proxy_invitation"),
    path(
        "my-account/people-you-act-for/<int:pk>/", views.proxies.acting_for_cases, name="account_acting_for"
    ),
    path(
        "my-account/people-you-act-for/<int:pk>/stop/", views.proxies.acting_stop, name="account_acting_stop"
    ),
    path("my-account/records/claim/", views.records.record_claim_list, name="account_record_claims"),
    path(
        "my-account/records/<int:record_id>/claim/", views.records.record_claim, name="account_record_claim"
    ),
    path("my-account/your-data/", views.data_export, name="data_export"),
    path("my-account/your-data/download/", views.data_export_download, name="data_export_download"),
    path("my-account/delete/", views.account_delete_confirm, name="account_delete"),
    path("account-deleted/", views.account_deleted, name="account_deleted"),
    # allauth's "change email", behind "confirm it's you" before anything is changed.
    path(
        "accounts/email/",
        reauthentication_required(allauth_views.email, allow_get=True),
        name="account_email",
    ),
]
