"""A mail backend that always fails, for tests of retries and of failures shown to staff."""

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionError("The mail server is down (on purpose)")
