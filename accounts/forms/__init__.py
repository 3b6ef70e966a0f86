"""The accounts app's forms, one module per concern.

* ``signup``: the extra sign-up fields (``ACCOUNT_SIGNUP_FORM_CLASS``);
* ``profile``: the forms behind each "Change" link on the profile page;
* ``allauth``: allauth's account forms with GOV.UK wording (wired by ``ACCOUNT_FORMS``);
* ``mfa``: allauth.mfa's forms with GOV.UK wording (wired by ``MFA_FORMS``);
* ``staff``: the Wagtail user admin's forms (used by ``admin_views``).

Only ``signup`` and ``profile`` are re-exported here. allauth imports this package while
its own ``allauth.account.forms`` is still loading (to find ``ACCOUNT_SIGNUP_FORM_CLASS``),
so this package must not import ``allauth.account.forms`` (``allauth``, ``mfa``) nor
Wagtail's user forms (``staff``, which need the app registry): those are imported by their
module path, as the settings do (and ``allauth`` and ``mfa`` both have a
``GovukReauthenticateForm``).
"""

from .profile import AddressForm, ContactPreferenceForm, NameForm, PhoneForm, SupportNeedsForm
from .signup import SignupForm

__all__ = [
    "AddressForm",
    "ContactPreferenceForm",
    "NameForm",
    "PhoneForm",
    "SignupForm",
    "SupportNeedsForm",
]
