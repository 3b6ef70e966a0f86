"""Server time for each step of a form and for submitting it, against a static page.

Walks the demo "Book a bulky waste collection" form (five steps, a per-item fee) as a
signed-in resident through the test client, many times over: the start page, each
step's page (GET) and answer (POST), "Check your answers", and the submit, which creates
the submission, its case and its payment in one transaction. Prints the median time of
each request, its ratio to rendering a static page (the form's service page, page cache
off) measured in the same run, and the database queries each request made (the same
every journey, and about the same from step to step: they do not grow with the form).

    .venv/bin/python bench/form_steps.py [journeys]
"""

import logging
import sys
import time
from datetime import date, timedelta

from _setup import django_test_database, median_ms

SLUG = "book-a-bulky-waste-collection"
SERVICE_PAGE = "/bins-and-recycling/bulky-waste-collection/"


def _answers() -> list[dict]:
    day = date.today() + timedelta(days=10)
    return [
        {"item_types": ["Sofa or armchair", "Fridge or freezer"]},
        {"items": "3"},
        {
            "collection_date-day": str(day.day),
            "collection_date-month": str(day.month),
            "collection_date-year": str(day.year),
        },
        {
            "address-line_1": "1 High Street",
            "address-town": "Anytown",
            "address-postcode": "AN1 1AA",
            "where_left": "In the front garden",
        },
        {"phone": "07700 900123"},
    ]


def main(journeys: int = 30) -> None:
    with django_test_database():
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client, override_settings
        from django.test.utils import CaptureQueriesContext

        from cms.demo import demo_content_load
        from forms_engine.demo import demo_forms_load
        from forms_engine.models import Draft, Submission

        override_settings(CMS_PAGE_CACHE_ENABLED=False).enable()
        logging.getLogger("wagtail").setLevel(logging.WARNING)  # the demo's publish messages
        demo_content_load()
        demo_forms_load()
        resident = get_user_model().objects.create_user(email="bench@example.org", password="x" * 20)
        client = Client(HTTP_USER_AGENT="Mozilla/5.0 (bench) Chrome/156", REMOTE_ADDR="198.51.100.9")
        client.force_login(resident)
        samples: dict[str, list[float]] = {}
        queries: dict[str, set[int]] = {}

        def run(name: str, method: str, url: str, data: dict | None = None):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = getattr(client, method)(url, data or {})
                elapsed = time.perf_counter() - started
            assert response.status_code in (200, 302), (name, url, response.status_code)
            samples.setdefault(name, []).append(elapsed)
            queries.setdefault(name, set()).add(len(captured))
            return response

        def journey() -> None:
            base = f"/forms/{SLUG}/"
            run("start page", "get", base)
            location = run("start (new draft)", "post", base, {"action": "start"})["Location"]
            draft = location.rstrip("/").split("/")[-3]
            for number, data in enumerate(_answers(), start=1):
                url = f"{base}{draft}/step/{number}/"
                run(f"step {number}: page", "get", url)
                response = run(f"step {number}: answer", "post", url, data)
                assert response.status_code == 302, f"step {number} refused the answer"
            run("check your answers", "get", f"{base}{draft}/check/")
            response = run("submit (case + payment)", "post", f"{base}{draft}/check/")
            assert "/payments/" in response["Location"], response["Location"]

        run("static page", "get", SERVICE_PAGE)
        journey()  # warm up
        samples.clear()
        queries.clear()
        for _ in range(journeys):
            Draft.objects.filter(user=resident).delete()
            for _ in range(3):
                run("static page", "get", SERVICE_PAGE)
            journey()

        static_ms = median_ms(samples.pop("static page"))
        queries.pop("static page")
        print(f"static page (service page, page cache off): {static_ms:.2f} ms median")
        print(f"{'request':<28} {'median ms':>10} {'x static':>9}  queries")
        for name, values in samples.items():
            ms = median_ms(values)
            counts = sorted(queries[name])
            shown = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
            print(f"{name:<28} {ms:>10.2f} {ms / static_ms:>9.2f}  {shown}")
        print(
            f"{journeys} journeys; {Submission.objects.count()} submissions, each with a case and a payment"
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
