"""What each app holds about an account, for the data export and for account deletion.

Every app that stores personal data registers a *part* in its ``personal_data.py`` module
(found with ``autodiscover_modules`` when the accounts app is ready)::

    from portal.lib.personal_data import register

    register(
        name="submissions",                 # the ZIP gets submissions.json (and files/submissions/...)
        label="Forms you have sent",
        export=lambda user: [...],           # JSON-ready data, or ExportedData(data, files)
        erase=submissions_anonymise,         # called inside the deletion transaction
        deleted="Your saved forms are deleted.",
        kept="Forms you sent are kept for {retention_years} years without your name.",
        purge=submissions_purge,             # purge(cutoff): retained records anonymised before cutoff
    )

``export`` and ``erase`` get the user. ``erase`` runs before the user row is deleted, in
the same transaction: it deletes what the council does not need and anonymises what it
must keep (and then typically sets the link to the user to NULL). Records kept under the
retention rule carry no name or contact details, and ``purge`` deletes them once older
than ``PORTAL_RETENTION_YEARS`` (run by ``manage.py personal_data_housekeeping``).
The ``deleted`` and ``kept`` sentences are shown to residents before they confirm deletion.

``reassign(source, target)`` moves the part's records from one user to another: from a
resident record the contact centre kept for someone without an account (``source``) to the
account that person makes and claims it with (``target``, see ``accounts.records``). It runs
inside the merge transaction, before ``source`` is deleted; it moves the links and keeps
history as it was (the interaction log's person key, a payment's receipt address).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from django.conf import settings


@dataclass(frozen=True)
class ExportFile:
    """An uploaded file to copy into the ZIP under ``files/<part>/<name>``."""

    name: str
    open: Callable[[], IO[bytes]]


@dataclass
class ExportedData:
    data: Any
    files: list[ExportFile] = field(default_factory=list)


@dataclass(frozen=True)
class PersonalDataPart:
    name: str
    label: str
    export: Callable[[Any], Any] | None = None
    erase: Callable[[Any], None] | None = None
    deleted: str = ""
    kept: str = ""
    purge: Callable[[datetime], int] | None = None
    reassign: Callable[[Any, Any], None] | None = None
    order: int = 100

    def exported(self, user: Any) -> ExportedData:
        assert self.export is not None  # called only for parts that export something
        result = self.export(user)
        return result if isinstance(result, ExportedData) else ExportedData(data=result)

    def sentence(self, which: str) -> str:
        text = getattr(self, which)
        return text.format(**_sentence_context()) if text else ""


_parts: dict[str, PersonalDataPart] = {}


def register(
    *,
    name: str,
    label: str,
    export: Callable[[Any], Any] | None = None,
    erase: Callable[[Any], None] | None = None,
    deleted: str = "",
    kept: str = "",
    purge: Callable[[datetime], int] | None = None,
    reassign: Callable[[Any, Any], None] | None = None,
    order: int = 100,
) -> PersonalDataPart:
    if name in _parts:
        raise ValueError(f"A personal data part called {name!r} is already registered")
    part = PersonalDataPart(
        name=name,
        label=label,
        export=export,
        erase=erase,
        deleted=deleted,
        kept=kept,
        purge=purge,
        reassign=reassign,
        order=order,
    )
    _parts[name] = part
    return part


def unregister(name: str) -> None:
    """For tests that register a part of their own."""
    _parts.pop(name, None)


def parts() -> Iterable[PersonalDataPart]:
    return sorted(_parts.values(), key=lambda part: (part.order, part.name))


def _sentence_context() -> dict[str, Any]:
    return {
        "retention_years": settings.PORTAL_RETENTION_YEARS,
        "interaction_retention_months": round(settings.INTERACTIONS_RETENTION_DAYS / 30.4),
        "export_days": settings.PORTAL_DATA_EXPORT_DAYS,
    }
