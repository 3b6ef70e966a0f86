import time

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

DEFAULT_PASSWORD = "a-long-and-unusual-passphrase-42"
# The authenticator-app secret every factory-made staff account uses (base32, RFC 6238).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = TOTP_SECRET, *, at: float | None = None) -> str:
    """The code an authenticator app shows now for ``secret``, computed with allauth's own HOTP."""
    counter = int(time.time() if at is None else at) // 30
    return format_hotp_value(hotp_value(secret, counter))


def mfa_totp_add(user, secret: str = TOTP_SECRET, *, recovery_codes: bool = True) -> Authenticator:
    """Give ``user`` an authenticator app (and recovery codes), as if they had set it up."""
    authenticator = TOTP.activate(user, secret).instance
    if recovery_codes:
        RecoveryCodes.activate(user)
    return authenticator


def recovery_codes_for(user) -> list[str]:
    return (
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"resident{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """A verified primary email, as after sign-up; pass verified=False to skip."""
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )
        if create:
            self.save()


class StaffFactory(UserFactory):
    """Staff must use 2-step verification, so they have an authenticator app unless ``mfa=False``."""

    email = factory.Sequence(lambda n: f"officer{n}@council.example")
    is_staff = True

    @factory.post_generation
    def mfa(self, create, extracted, **kwargs):
        if create and extracted is not False:
            mfa_totp_add(self)


def staff_in(group_name: str, **kwargs):
    """A staff member in the named staff group (groups are declared in accounts.groups)."""
    user = StaffFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    return user
