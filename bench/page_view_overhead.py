"""Page-view logging overhead: the same page with the interaction log on and off.

Prints the median time per request for each, interleaved in rounds so drift affects
both equally, and the ratio on/off. Target: under 1.10.

The page is rendered every time (the anonymous page cache, ``cms.page_cache``, is off):
the target compares the log's one INSERT with rendering a page. A page served from that
cache costs well under a millisecond, so the same INSERT is a larger share of it; the
absolute cost of logging (on minus off) is what stays the same.

    .venv/bin/python bench/page_view_overhead.py [requests-per-round] [rounds]
"""

import sys

from _setup import django_test_database, median_ms, timed

TARGET = 1.10


def main(per_round: int = 200, rounds: int = 5) -> None:
    with django_test_database():
        from django.test import Client, override_settings

        override_settings(CMS_PAGE_CACHE_ENABLED=False).enable()

        client = Client(HTTP_USER_AGENT="Mozilla/5.0 (bench) Chrome/156", REMOTE_ADDR="198.51.100.9")
        assert client.get("/").status_code == 200
        on, off = [], []
        for _ in range(rounds):
            with override_settings(INTERACTIONS_ENABLED=False):
                off += timed(lambda: client.get("/"), repeat=per_round)
            on += timed(lambda: client.get("/"), repeat=per_round)
        from portal.interactions.models import Interaction

        logged = Interaction.objects.count()
        off_ms, on_ms = median_ms(off), median_ms(on)
        ratio = on_ms / off_ms
        print(f"home page, logging off: {off_ms:.2f} ms median over {len(off)} requests")
        print(f"home page, logging on:  {on_ms:.2f} ms median over {len(on)} requests ({logged} rows)")
        print(
            f"overhead ratio on/off:  {ratio:.3f}  (target < {TARGET}) {'OK' if ratio < TARGET else 'OVER'}"
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
