from django.tasks import task

from .services import case_deadline_digest_send


@task
def send_deadline_digests() -> int:
    """Each team's daily list of cases about to breach their deadline (or past it)."""
    return case_deadline_digest_send()
