"""My account's pages: the one import surface for ``urls.py`` (and ``handler429``).

- ``account``: profile, sign-in and security, your data, deleting the account, the 429 page
- ``proxies``: the people who act for a resident, and the residents a person acts for
- ``records``: adding to your account the record the contact centre kept for you

``urls.py`` reaches ``proxies`` and ``records`` by their module (``views.proxies.proxy_add``):
``proxies`` is also the name of a view in it.
"""

from . import proxies, records
from .account import (
    account_delete_confirm,
    account_deleted,
    contact_check,
    data_export,
    data_export_download,
    mfa_continue,
    mfa_required,
    profile,
    profile_change,
    rate_limited,
    security,
    sessions_end_others,
    support_needs,
)

__all__ = [
    "account_delete_confirm",
    "account_deleted",
    "contact_check",
    "data_export",
    "data_export_download",
    "mfa_continue",
    "mfa_required",
    "profile",
    "profile_change",
    "proxies",
    "rate_limited",
    "records",
    "security",
    "sessions_end_others",
    "support_needs",
]
