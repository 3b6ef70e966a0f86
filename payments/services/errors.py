"""The payments domain error: what the rules do not allow, in words for the person who tried."""


class PaymentError(ValueError):
    """Something the rules do not allow; the message is written for the person who tried."""
