"""A paginator that counts no further than it needs to, for lists that may run to 100,000 rows.

Django's ``Paginator`` counts every matching row to number its pages: on a large table, a
second full read on every page view. ``CappedPaginator`` counts at most ``cap + 1`` rows
(``SELECT COUNT(*) FROM (… LIMIT cap + 1)``). At or under the cap the count is exact and it
behaves as Django's. Over it, the list says "more than 1,000" and the pages within the cap
are served without counting; the exact count is made only when it is needed: the last page
(``last_page()``), or a page number past the cap. The last page of an ordered queryset is
then read in reverse order from its end (the index read backwards), not skipped to with a
large OFFSET.
"""

from typing import Any, TypeVar

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Model, QuerySet
from django.utils.functional import cached_property

DEFAULT_CAP = 1000


class CappedPage(Page):
    """A page that knows it has a next page without the exact count, when the list is over the cap."""

    paginator: "CappedPaginator"

    def has_next(self) -> bool:
        # Served uncounted only within the cap, with more than ``cap`` rows: a page follows.
        return True if not self.paginator.counted else super().has_next()

    def end_index(self) -> int:
        if not self.paginator.counted:
            return self.number * self.paginator.per_page
        return super().end_index()


class CappedPaginator(Paginator):
    """``Paginator`` with a count that stops at ``cap``; ``counted`` says whether it is exact."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int = DEFAULT_CAP, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _up_to_cap(self) -> int:
        """How many rows there are, counting no further than ``cap + 1``."""
        rows = self.object_list
        if isinstance(rows, QuerySet):
            # Only the key (no annotations to work out), in the list's own order: the count
            # reads the index the page reads and stops at cap + 1 rows. (Unordered, the
            # planner may choose a sequential scan that it expects to stop early.)
            return rows.values("pk")[: self.cap + 1].count()
        return len(rows[: self.cap + 1])

    @property
    def over_cap(self) -> bool:
        """Whether there are more rows than ``cap``."""
        return self._up_to_cap > self.cap

    @property
    def counted(self) -> bool:
        """Whether ``count`` is known exactly without another query: at or under the cap, or
        already counted in full (for the last page)."""
        return not self.over_cap or "count" in self.__dict__

    @cached_property
    def count(self) -> int:
        """The exact number of rows: the capped count when within the cap, else a full count."""
        if not self.over_cap:
            return self._up_to_cap
        rows = self.object_list
        return rows.count() if isinstance(rows, QuerySet) else len(rows)

    def validate_number(self, number: Any) -> int:
        if self.counted:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if number * self.per_page <= self.cap:
            return number  # wholly within the rows counted: it exists, and more follow
        return super().validate_number(number)  # past the cap: count them all

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        if self.counted:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)

    def last_page(self) -> Page:
        """The last page (counting every row if over the cap). An ordered queryset's last
        page is read from its end in reverse order, so the database does not step over
        every earlier row."""
        number = self.num_pages
        rows = self.object_list
        if number == 1 or not (isinstance(rows, QuerySet) and rows.ordered):
            return self.page(number)
        size = self.count - (number - 1) * self.per_page
        tail = list(rows.reverse()[:size])
        tail.reverse()
        return self._get_page(tail, number, self)

    def _get_page(self, *args: Any, **kwargs: Any) -> Page:
        return CappedPage(*args, **kwargs)


# --- Lists that grow with a resident's history ----------------------------------------------

_Row = TypeVar("_Row", bound=Model)


def page_number(value: Any) -> int:
    """A page number from the URL: anything not a whole number, or below 1, is the first page
    (a number past the end is the last page: ``page_of``)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def page_of(queryset: "QuerySet[_Row]", number: Any, *, per_page: int) -> "Page[_Row]":
    """One page of ``queryset`` for a list page: ``number`` as it came in the URL, a number
    past the end giving the last page, never a 404. The page's rows are fetched once, with
    the queryset's ``select_related``/``prefetch_related``, and its count in one query."""
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(page_number(number))
    page.object_list = list(page.object_list)
    return page
