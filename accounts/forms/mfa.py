"""allauth.mfa's forms with GOV.UK labels, hints and error messages (wired by MFA_FORMS)."""

from allauth.core import context
from allauth.mfa.base import forms as base_forms
from allauth.mfa.totp import forms as totp_forms
from allauth.mfa.webauthn import forms as webauthn_forms

from ..mfa import session_record_enrolment
from ..ratelimits import retry_sentence
from .allauth import GovukErrorsMixin, _CodeFieldMixin

TOO_MANY = retry_sentence("You have entered too many wrong codes", "login_failed")


class _GovukAuthenticateMixin(_CodeFieldMixin, GovukErrorsMixin):
    code_label = "Security code"
    code_required = "Enter the code from your authenticator app, or a recovery code"
    code_hint = (
        "The 6-digit code from your authenticator app. If you do not have your phone, "
        "use one of your recovery codes."
    )
    govuk_error_messages = {
        "code": {
            "incorrect_code": "The code is not correct. Check your authenticator app and try again",
            "too_many_login_attempts": TOO_MANY,
        },
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_code(self.fields["code"])


class GovukAuthenticateForm(_GovukAuthenticateMixin, base_forms.AuthenticateForm):
    pass


class GovukReauthenticateForm(_GovukAuthenticateMixin, base_forms.ReauthenticateForm):
    pass


class _EnrolmentCountsAsVerificationMixin:
    """Setting up an app or a key proves the person holds it: this session passed 2-step.

    Recorded when the form is valid (the code or the key's signature was checked), so a
    staff member sent to set up 2-step verification goes straight on to the admin.
    """

    enrolment_type = ""

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors:
            session_record_enrolment(context.request, self.user, authenticator_type=self.enrolment_type)
        return cleaned_data


class GovukActivateTOTPForm(
    _EnrolmentCountsAsVerificationMixin, _CodeFieldMixin, GovukErrorsMixin, totp_forms.ActivateTOTPForm
):
    enrolment_type = "totp"
    code_label = "Code from the app"
    code_required = "Enter the 6-digit code from your authenticator app"
    code_hint = "The app shows a new 6-digit code every 30 seconds."
    code_numeric = True
    govuk_error_messages = {
        "code": {
            "incorrect_code": "The code is not correct. Enter the code the app shows now",
            "rate_limited": TOO_MANY,
        },
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_code(self.fields["code"])


class _GovukWebAuthnNameMixin(GovukErrorsMixin):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name = self.fields["name"]
        name.label = "Name"
        name.help_text = "So you can tell your keys apart, like ‘Work laptop’ or ‘My phone’"
        name.error_messages["required"] = "Enter a name for the key"
        name.widget.attrs.update({"class": "govuk-input--width-20", "spellcheck": "false"})


class GovukAddWebAuthnForm(
    _EnrolmentCountsAsVerificationMixin, _GovukWebAuthnNameMixin, webauthn_forms.AddWebAuthnForm
):
    enrolment_type = "webauthn"
    govuk_error_messages = {
        "credential": {"required": "Your device did not create a key. Try again, or use another device"},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "passwordless" in self.fields:
            field = self.fields["passwordless"]
            field.label = "Also use it to sign in without a password (a passkey)"
            field.help_text = "Your device will ask for your fingerprint, face or PIN each time."


class GovukEditWebAuthnForm(_GovukWebAuthnNameMixin, webauthn_forms.EditWebAuthnForm):
    pass


class GovukLoginWebAuthnForm(GovukErrorsMixin, webauthn_forms.LoginWebAuthnForm):
    govuk_error_messages = {
        # No JavaScript, or the person cancelled the browser's passkey prompt.
        "credential": {
            "required": "Your browser did not use a passkey. Try again, or sign in with your password"
        },
    }
