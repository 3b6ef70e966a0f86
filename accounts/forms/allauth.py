"""allauth's forms with GOV.UK labels, hints and error messages (wired by ACCOUNT_FORMS)."""

from allauth.account import app_settings
from allauth.account import forms as allauth_forms

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy

from ..ratelimits import retry_sentence

EMAIL_REQUIRED = "Enter your email address"
EMAIL_INVALID = "Enter an email address in the correct format, like name@example.com"
PASSWORDS_DO_NOT_MATCH = "The passwords do not match"

# allauth adds this without an error code, so it is recognised by its text.
_ALLAUTH_PASSWORD_MISMATCH = gettext_lazy("You must type the same password each time.")

# Django's password validators, by error code.
NEW_PASSWORD_ERRORS = {
    "password_too_short": "Your password must be %(min_length)d characters or more",
    "password_too_common": "Your password is too easy to guess. Choose a different password",
    "password_entirely_numeric": "Your password must include letters or symbols, not only numbers",
    "password_too_similar": "Your password is too similar to your %(verbose_name)s. Choose a "
    "different password",
}


# Field set-up


def new_password_hint() -> str:
    """What the configured password validators ask for, in plain English."""
    min_length = app_settings.PASSWORD_MIN_LENGTH or 0
    validators = password_validation.get_default_password_validators()
    for validator in validators:
        if isinstance(validator, password_validation.MinimumLengthValidator):
            min_length = max(min_length, validator.min_length)
    avoid = [
        words
        for validator_class, words in [
            (password_validation.CommonPasswordValidator, "a common password"),
            (password_validation.NumericPasswordValidator, "only numbers"),
            (password_validation.UserAttributeSimilarityValidator, "your email address"),
        ]
        if any(isinstance(validator, validator_class) for validator in validators)
    ]
    sentences = []
    if min_length:
        sentences.append(f"Use {min_length} characters or more.")
    if avoid:
        listed = avoid[0] if len(avoid) == 1 else f"{', '.join(avoid[:-1])} or {avoid[-1]}"
        sentences.append(f"Do not use {listed}.")
    return " ".join(sentences)


def _setup_email(field: forms.Field, *, required: str = EMAIL_REQUIRED) -> None:
    field.label = "Email address"
    field.help_text = ""
    field.error_messages.update({"required": required, "invalid": EMAIL_INVALID})
    field.widget = forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"})
    field.widget.is_required = field.required


def _setup_password(
    field: forms.Field, *, label: str, required: str, autocomplete: str, hint: str = ""
) -> None:
    field.label = label
    field.help_text = hint
    field.error_messages["required"] = required
    field.widget.attrs.pop("placeholder", None)
    field.widget.attrs["autocomplete"] = autocomplete


# Mixins: put before allauth's form in the bases, they adjust its fields after it has
# made them, and reword its errors after it has cleaned.


class GovukErrorsMixin:
    """Rewords errors by field: ``{field: {error code or allauth's message: ours}}``."""

    govuk_error_messages: dict[str, dict] = {}

    def full_clean(self) -> None:
        super().full_clean()
        for name, replacements in self.govuk_error_messages.items():
            errors = (self._errors or {}).get(name)
            if not errors:
                continue
            by_key = {str(key): message for key, message in replacements.items()}
            for i, error in enumerate(errors.data):
                if not isinstance(error, ValidationError):
                    continue
                message = by_key.get(error.code or "") or by_key.get(str(error.message))
                if message:
                    errors.data[i] = ValidationError(message, code=error.code, params=error.params)


class GovukLoginMixin(GovukErrorsMixin):
    govuk_error_messages = {
        # Never say which of the two was wrong: that would tell anyone who has an account.
        NON_FIELD_ERRORS: {
            "email_password_mismatch": "The email address or password you entered is incorrect",
            "too_many_login_attempts": retry_sentence(
                "You have tried to sign in too many times", "login_failed"
            ),
            "invalid_login": "The email address or password you entered is incorrect",
        },
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _setup_email(self.fields["login"])
        if "password" in self.fields:
            _setup_password(
                self.fields["password"],
                label="Password",
                required="Enter your password",
                autocomplete="current-password",
            )
        if "remember" in self.fields:
            self.fields["remember"].label = "Remember me"


class GovukSignupMixin(GovukErrorsMixin):
    govuk_error_messages = {
        "password1": NEW_PASSWORD_ERRORS,
        "password2": {_ALLAUTH_PASSWORD_MISMATCH: PASSWORDS_DO_NOT_MATCH},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "email" in self.fields:
            _setup_email(self.fields["email"])
            if app_settings.EMAIL_VERIFICATION != app_settings.EmailVerificationMethod.NONE:
                kind = "a code" if app_settings.EMAIL_VERIFICATION_BY_CODE_ENABLED else "a link"
                self.fields[
                    "email"
                ].help_text = f"We’ll email you {kind} to check this is your email address."
        if "password1" in self.fields:
            _setup_password(
                self.fields["password1"],
                label="Password",
                required="Enter a password",
                autocomplete="new-password",
                hint=new_password_hint(),
            )
        if "password2" in self.fields:
            _setup_password(
                self.fields["password2"],
                label="Confirm password",
                required="Confirm your password",
                autocomplete="new-password",
            )


class GovukResetPasswordMixin(GovukErrorsMixin):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _setup_email(self.fields["email"])


class _NewPasswordMixin(GovukErrorsMixin):
    """Password and its confirmation, for forms built on allauth's SetPasswordField."""

    password_label = "Password"
    password_required = "Enter a password"
    confirm_label = "Confirm password"
    confirm_required = "Confirm your password"

    govuk_error_messages = {
        "password1": NEW_PASSWORD_ERRORS,
        "password2": {_ALLAUTH_PASSWORD_MISMATCH: PASSWORDS_DO_NOT_MATCH},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _setup_password(
            self.fields["password1"],
            label=self.password_label,
            required=self.password_required,
            autocomplete="new-password",
            hint=new_password_hint(),
        )
        _setup_password(
            self.fields["password2"],
            label=self.confirm_label,
            required=self.confirm_required,
            autocomplete="new-password",
        )


class GovukResetPasswordKeyMixin(_NewPasswordMixin):
    password_label = "New password"
    password_required = "Enter a new password"
    confirm_label = "Confirm new password"
    confirm_required = "Confirm your new password"


class GovukSetPasswordMixin(_NewPasswordMixin):
    pass


class GovukChangePasswordMixin(GovukResetPasswordKeyMixin):
    govuk_error_messages = {
        **_NewPasswordMixin.govuk_error_messages,
        "oldpassword": {"enter_current_password": "Your current password is incorrect"},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _setup_password(
            self.fields["oldpassword"],
            label="Current password",
            required="Enter your current password",
            autocomplete="current-password",
        )


class GovukReauthenticateMixin(GovukErrorsMixin):
    govuk_error_messages = {
        "password": {"incorrect_password": "The password you entered is incorrect"},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _setup_password(
            self.fields["password"],
            label="Password",
            required="Enter your password",
            autocomplete="current-password",
        )


class GovukConfirmEmailCodeMixin(GovukErrorsMixin):
    govuk_error_messages = {
        "code": {
            "incorrect_code": "The code is incorrect. Check the email and try again",
            "email_taken": "Another account already uses this email address",
        },
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        code_format = app_settings.EMAIL_VERIFICATION_BY_CODE_FORMAT
        field = self.fields["code"]
        field.label = "Code"
        field.error_messages["required"] = "Enter the code from the email"
        field.widget.attrs.pop("placeholder", None)
        field.widget.attrs.update(
            {
                "autocomplete": "one-time-code",
                "inputmode": "numeric" if code_format.get("numeric") else "text",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        )
        # Shown on the page: how long a code lasts.
        self.code_timeout_minutes = app_settings.EMAIL_VERIFICATION_BY_CODE_TIMEOUT // 60


class _CodeFieldMixin:
    """A one-time code box: no placeholder, the phone's code suggestion, no autocorrect."""

    code_label = "Code"
    code_required = "Enter the code"
    code_hint = ""
    code_numeric = False

    def _setup_code(self, field: forms.Field) -> None:
        field.label = self.code_label
        field.help_text = self.code_hint
        field.error_messages["required"] = self.code_required
        field.widget.attrs.pop("placeholder", None)
        field.widget.attrs.update(
            {
                "autocomplete": "one-time-code",
                "inputmode": "numeric" if self.code_numeric else "text",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "govuk-input--width-10",
            }
        )


class GovukRequestLoginCodeMixin(GovukErrorsMixin):
    govuk_error_messages = {
        "email": {
            "too_many_login_attempts": retry_sentence(
                "You have asked for too many codes", "request_login_code"
            ),
        },
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _setup_email(self.fields["email"])


class GovukConfirmLoginCodeMixin(_CodeFieldMixin, GovukErrorsMixin):
    code_required = "Enter the code from the email"
    govuk_error_messages = {
        "code": {"incorrect_code": "The code is not correct. Check the email and try again"},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        code_format = app_settings.LOGIN_BY_CODE_FORMAT
        self.code_numeric = bool(code_format.get("numeric"))
        self._setup_code(self.fields["code"])
        self.code_timeout_minutes = app_settings.LOGIN_BY_CODE_TIMEOUT // 60


class GovukAddEmailMixin(GovukErrorsMixin):
    govuk_error_messages = {
        "email": {
            "email_taken": "Another account already uses this email address",
            "max_email_addresses": "You cannot add more email addresses",
        },
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _setup_email(self.fields["email"], required="Enter your new email address")
        self.fields["email"].label = "New email address"


class GovukChangeEmailMixin(GovukErrorsMixin):
    govuk_error_messages = {
        "email": {"same_as_current": "Enter a different email address"},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _setup_email(self.fields["email"], required="Enter an email address")


# The classes ACCOUNT_FORMS names: each mixin put before allauth's own form.


class GovukLoginForm(GovukLoginMixin, allauth_forms.LoginForm):
    pass


class GovukSignupForm(GovukSignupMixin, allauth_forms.SignupForm):
    pass


class GovukResetPasswordForm(GovukResetPasswordMixin, allauth_forms.ResetPasswordForm):
    pass


class GovukResetPasswordKeyForm(GovukResetPasswordKeyMixin, allauth_forms.ResetPasswordKeyForm):
    pass


class GovukChangePasswordForm(GovukChangePasswordMixin, allauth_forms.ChangePasswordForm):
    pass


class GovukSetPasswordForm(GovukSetPasswordMixin, allauth_forms.SetPasswordForm):
    pass


class GovukReauthenticateForm(GovukReauthenticateMixin, allauth_forms.ReauthenticateForm):
    pass


class GovukConfirmEmailVerificationCodeForm(
    GovukConfirmEmailCodeMixin, allauth_forms.ConfirmEmailVerificationCodeForm
):
    pass


class GovukChangeEmailForm(GovukChangeEmailMixin, allauth_forms.ChangeEmailForm):
    pass


class GovukAddEmailForm(GovukAddEmailMixin, allauth_forms.AddEmailForm):
    pass


class GovukRequestLoginCodeForm(GovukRequestLoginCodeMixin, allauth_forms.RequestLoginCodeForm):
    pass


class GovukConfirmLoginCodeForm(GovukConfirmLoginCodeMixin, allauth_forms.ConfirmLoginCodeForm):
    pass
