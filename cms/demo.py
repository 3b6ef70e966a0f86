# ruff: noqa: E501 - demo copy reads better unwrapped
"""Demo content: a realistic small council site. Loaded by ``manage.py load_demo``.

Idempotent: a page is created only when its slug is not already under its parent, and
the home page's top tasks only when it has none.
"""

from datetime import timedelta

from django.utils import timezone

from .models import (
    Alert,
    ContactPage,
    GuidePage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    ServiceIndexPage,
    ServicePage,
)

EXTERNAL = "https://services.council.example"

CATEGORIES = [
    (
        "bins-and-recycling",
        "Bins and recycling",
        "Collection days, missed bins, new bins, bulky waste and recycling centres.",
        [
            (
                "report-a-missed-bin",
                "Report a missed bin",
                524,
                "Tell us if your bin was not emptied on your collection day.",
                "missed bin, bin not collected, rubbish, refuse",
            ),
            (
                "new-or-replacement-bin",
                "Order a new or replacement bin",
                526,
                "Order a bin if yours is lost, stolen or damaged, or you have just moved in.",
                "broken bin, stolen bin, wheelie bin",
            ),
            (
                "bulky-waste-collection",
                "Book a bulky waste collection",
                528,
                "Book a collection of large household items like sofas, fridges and mattresses. There is a fee.",
                "sofa, fridge, mattress, furniture, large items",
            ),
            (
                "garden-waste",
                "Garden waste subscription",
                530,
                "Subscribe to fortnightly garden waste collections from March to November.",
                "green bin, grass, hedge cuttings",
            ),
            (
                "recycling-centres",
                "Household recycling centres",
                531,
                "Opening hours and what you can take to the household recycling centres.",
                "tip, dump, recycling centre",
            ),
            (
                "recycling",
                "What goes in your recycling bin",
                534,
                "Which items go in your recycling, food waste and general waste bins.",
                "plastics, glass, food caddy",
            ),
        ],
    ),
    (
        "council-tax",
        "Council tax",
        "Pay, check your band, discounts and exemptions, and tell us you are moving.",
        [
            (
                "pay-council-tax",
                "Pay your council tax",
                57,
                "Pay your council tax online with a debit or credit card.",
                "pay bill, instalments",
            ),
            (
                "council-tax-bands",
                "Council tax bands and charges",
                61,
                "Find your property's council tax band and this year's charges.",
                "band, valuation, charges",
            ),
            (
                "single-person-discount",
                "Council tax single person discount",
                59,
                "Get 25% off your council tax if you are the only adult living in your home.",
                "discount, living alone, 25%",
            ),
            (
                "council-tax-exemptions",
                "Council tax exemptions",
                60,
                "Find out if your property is exempt, for example if it is empty or everyone is a student.",
                "student, empty property",
            ),
            (
                "moving-home",
                "Tell us you are moving home",
                58,
                "Tell us when you move in, out or within the area so we bill you correctly.",
                "change of address, moving, new tenant",
            ),
        ],
    ),
    (
        "parking",
        "Parking",
        "Permits, parking fines, blue badges and parking zones.",
        [
            (
                "resident-parking-permit",
                "Apply for a resident parking permit",
                474,
                "Apply for a permit to park in your street's controlled parking zone. There is a fee.",
                "permit, parking zone, visitor permit",
            ),
            (
                "parking-fines",
                "Pay or challenge a parking fine",
                471,
                "Pay a penalty charge notice (PCN) or challenge it if you think it is wrong.",
                "PCN, penalty charge notice, ticket, appeal",
            ),
            (
                "blue-badge",
                "Apply for a blue badge",
                279,
                "Apply for a blue badge if you have a disability that affects your mobility.",
                "disabled parking",
            ),
            (
                "parking-zones",
                "Parking zones and times",
                473,
                "Check the controlled parking zones and when restrictions apply.",
                "CPZ, restrictions",
            ),
        ],
    ),
    (
        "housing",
        "Housing",
        "Council housing, repairs and help if you are homeless.",
        [
            (
                "apply-for-council-housing",
                "Apply for council housing",
                92,
                "Join the housing register to apply for a council or housing association home.",
                "housing register, social housing",
            ),
            (
                "report-a-repair",
                "Report a repair in your council home",
                141,
                "Report a repair if you are a council tenant.",
                "leak, boiler, damp, mould",
            ),
            (
                "homelessness",
                "Help if you are homeless or at risk",
                112,
                "Get help if you are homeless or might lose your home.",
                "eviction, sleeping rough, emergency housing",
            ),
        ],
    ),
    (
        "planning",
        "Planning and building control",
        "Planning permission, building regulations and protected trees.",
        [
            (
                "planning-permission",
                "Apply for planning permission",
                485,
                "Find out if you need planning permission and how to apply.",
                "extension, planning application",
            ),
            (
                "building-control",
                "Building regulations approval",
                499,
                "Get building regulations approval for building work.",
                "building regs, inspection",
            ),
            (
                "protected-trees",
                "Work on protected trees",
                508,
                "Apply to work on a tree with a tree preservation order or in a conservation area.",
                "TPO, tree preservation order",
            ),
        ],
    ),
    (
        "roads-and-pavements",
        "Roads and pavements",
        "Report potholes, street lights and fly-tipping; gritting and roadworks.",
        [
            (
                "report-a-pothole",
                "Report a pothole",
                557,
                "Report a pothole or damaged road surface.",
                "road damage, hole in road",
            ),
            (
                "street-light-fault",
                "Report a street light fault",
                564,
                "Report a street light that is not working, flickering or damaged.",
                "street lamp, lighting",
            ),
            (
                "gritting",
                "Gritting and winter weather",
                561,
                "Which roads we grit, and where to find grit bins.",
                "ice, snow, salt, grit bin",
            ),
            (
                "report-fly-tipping",
                "Report fly-tipping",
                587,
                "Report rubbish that has been dumped illegally.",
                "dumped rubbish, flytipping",
            ),
        ],
    ),
    (
        "libraries",
        "Libraries",
        "Find a library, renew books and the mobile library.",
        [
            (
                "find-a-library",
                "Find a library and opening hours",
                437,
                "Addresses, opening hours and facilities of our libraries.",
                "library opening times",
            ),
            (
                "renew-library-books",
                "Renew library books",
                440,
                "Renew your library loans online, by phone or in person.",
                "renew, loans, overdue",
            ),
            (
                "mobile-library",
                "Mobile library",
                444,
                "Where and when the mobile library stops.",
                "library van",
            ),
        ],
    ),
]

CONTACT = {
    "heading": "Contact us",
    "name": "Customer services",
    "phone": "01234 567890",
    "email": "customer.services@council.example",
    "opening_hours": "Monday to Friday, 9am to 5pm",
    "address": "Town Hall\nHigh Street\nAnytown\nAN1 1AA",
}


def _add(parent, page):
    existing = parent.get_children().filter(slug=page.slug).first()
    if existing:
        return existing.specific, False
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page, True


# How each demo service is done today, so Contact insights has a realistic self-service
# coverage (KPI51): online on another site, information only, needs a conversation, or
# (every other service without a form of its own) by phone: the channel-shift backlog.
ONLINE_ELSEWHERE = {
    "pay-council-tax",
    "parking-fines",
    "blue-badge",
    "planning-permission",
    "renew-library-books",
}
NOT_SUITABLE_ONLINE = {
    "recycling": "Information only: there is nothing to apply for.",
    "council-tax-bands": "Information only: there is nothing to apply for.",
    "parking-zones": "Information only: there is nothing to apply for.",
    "gritting": "Information only: there is nothing to apply for.",
    "find-a-library": "Information only: there is nothing to apply for.",
    "homelessness": "We need to talk to people at risk of homelessness the same day, by phone or in person.",
}


def _service_page(slug, title, code, summary, keywords):
    fee = "There is a fee" in summary
    online = slug in ONLINE_ELSEWHERE
    how = (
        "<p>You can do this online at any time. You will get a reference number, and if "
        "you have an account you can follow the progress in My account.</p>"
        if online or slug not in NOT_SUITABLE_ONLINE
        else ""
    )
    return ServicePage(
        slug=slug,
        title=title,
        summary=summary,
        service_id=code,
        keywords=keywords,
        body=[("paragraph", how or f"<p>{summary}</p>")],
        before_you_start=(
            "<p>You will need your address and postcode.</p>"
            + ("<p>You will need to pay by debit or credit card.</p>" if fee else "")
        ),
        start_url=f"{EXTERNAL}/{slug}" if online else "",
        start_label="Start now",
        not_suitable_online=slug in NOT_SUITABLE_ONLINE,
        not_suitable_online_reason=NOT_SUITABLE_ONLINE.get(slug, ""),
        contact=[("contact", CONTACT)],
        review_by=timezone.localdate() + timedelta(days=180),
    )


def demo_content_load() -> dict[str, int]:
    """Create the demo site under the home page; returns how many pages were created."""
    home = HomePage.objects.get()
    created = 0
    services = {}
    for slug, title, summary, items in CATEGORIES:
        category, new = _add(home, ServiceIndexPage(slug=slug, title=title, summary=summary, intro=summary))
        created += new
        siblings = []
        for item in items:
            page, new = _add(category, _service_page(*item))
            services[item[0]] = page
            siblings.append(page)
            created += new
        for page in siblings:
            if not len(page.related_links):
                others = [p for p in siblings if p.pk != page.pk][:3]
                page.related_links = [("link", {"text": p.title, "page": p}) for p in others]
                page.save_revision().publish()

    guide, new = _add(
        home,
        GuidePage(
            slug="moving-home-guide",
            title="Moving home: what to tell the council",
            summary="Everything to sort out with the council when you move in, out or within the area.",
            service_id=58,
            parts=[
                (
                    "part",
                    {
                        "title": "Overview",
                        "slug": "overview",
                        "body": [
                            (
                                "paragraph",
                                "<p>When you move home, tell us about council tax, bins, parking permits and the electoral register. You can do all of it online.</p>",
                            )
                        ],
                    },
                ),
                (
                    "part",
                    {
                        "title": "Council tax",
                        "slug": "council-tax",
                        "body": [
                            (
                                "paragraph",
                                "<p>Tell us the date you move so we can close your old account and open a new one.</p>",
                            )
                        ],
                    },
                ),
                (
                    "part",
                    {
                        "title": "Bins and recycling",
                        "slug": "bins",
                        "body": [
                            (
                                "paragraph",
                                "<p>Check your new collection day. Order bins if the previous occupier took them.</p>",
                            )
                        ],
                    },
                ),
                (
                    "part",
                    {
                        "title": "Parking permits",
                        "slug": "parking-permits",
                        "body": [
                            (
                                "paragraph",
                                "<p>Permits are for one address. Apply for a new permit for your new street.</p>",
                            )
                        ],
                    },
                ),
            ],
        ),
    )
    created += new

    news_index, new = _add(home, NewsIndexPage(slug="news", title="News", intro="News from the council."))
    created += new
    for days_ago, slug, title, summary in [
        (
            2,
            "winter-gritting-begins",
            "Winter gritting begins",
            "Our gritters are out on priority routes from tonight.",
        ),
        (
            9,
            "new-recycling-centre-hours",
            "New recycling centre opening hours",
            "Recycling centres will open later on Sundays from next month.",
        ),
        (
            20,
            "library-e-books",
            "Borrow e-books with your library card",
            "Thousands of e-books and audiobooks are now free to borrow.",
        ),
    ]:
        _, new = _add(
            news_index,
            NewsPage(
                slug=slug,
                title=title,
                summary=summary,
                date=timezone.localdate() - timedelta(days=days_ago),
                body=[("paragraph", f"<p>{summary}</p>")],
            ),
        )
        created += new

    contact, new = _add(
        home,
        ContactPage(
            slug="contact-us",
            title="Contact the council",
            intro="Most things can be done online, at any time.",
            online_options=[
                ("link", {"text": services[slug].title, "page": services[slug]})
                for slug in (
                    "report-a-missed-bin",
                    "pay-council-tax",
                    "report-a-pothole",
                    "resident-parking-permit",
                )
            ],
            body=[("contact", CONTACT)],
        ),
    )
    created += new

    if not len(home.top_tasks):
        home.top_tasks = [
            (
                "task",
                {"kind": "report", "text": "Report a missed bin", "page": services["report-a-missed-bin"]},
            ),
            ("task", {"kind": "pay", "text": "Pay your council tax", "page": services["pay-council-tax"]}),
            (
                "task",
                {
                    "kind": "apply",
                    "text": "Apply for a parking permit",
                    "page": services["resident-parking-permit"],
                },
            ),
            (
                "task",
                {
                    "kind": "book",
                    "text": "Book a bulky waste collection",
                    "page": services["bulky-waste-collection"],
                },
            ),
            ("task", {"kind": "report", "text": "Report a pothole", "page": services["report-a-pothole"]}),
            ("task", {"kind": "pay", "text": "Pay a parking fine", "page": services["parking-fines"]}),
        ]
        home.save_revision().publish()

    if not Alert.objects.exists():
        Alert.objects.create(
            title="Bin collections delayed by snow",
            message="<p>Collections may be up to two days late this week. Leave your bins out and we will empty them as soon as we can.</p>",
            severity="warning",
            starts_at=timezone.now() - timedelta(hours=1),
            ends_at=timezone.now() + timedelta(days=7),
        )
    return {"pages_created": created}
