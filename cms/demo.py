# ruff: noqa: E501 - demo copy reads better unwrapped
"""Demo content: a realistic small council site. Loaded by ``manage.py load_demo``.

Idempotent: a page is created only when its slug is not already under its parent, and
the home page's top tasks only when it has none.
"""

from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from wagtail.models import GroupPagePermission, Site

from .models import (
    AccessibilityStatementPage,
    Alert,
    ContactPage,
    CouncilSettings,
    GuidePage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    ServiceIndexPage,
    ServicePage,
    StandardPage,
    SynonymGroup,
)
from .services import statutory_footer_links, statutory_page_unfinished
from .statutory import cookies_body

EXTERNAL = "https://services.council.example"

CATEGORIES = [
    (
        "bins-and-recycling",
        "Bins and recycling",
        "Collection days, missed bins, new bins, bulky waste and recycling centres.",
        [
            (
                "bin-collection-days",
                "Bin collection days",
                524,
                "Find out which day we collect your bins, and which bins go out each week.",
                "bin day, collection day, when are my bins collected, rubbish day",
            ),
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
        # Not "payments": /payments/… are the payment pages' own addresses.
        "bills-and-fines",
        "Bills and fines",
        "Pay a council bill, invoice or parking fine online.",
        [
            (
                "pay-a-bill-or-fine",
                "Pay a bill or fine",
                None,
                "Pay a council bill, invoice or penalty charge notice (parking fine) online with a debit or credit card.",
                "pay a bill, pay an invoice, pay a fine, payment, pay online, invoice, penalty charge notice, PCN, parking ticket, trade waste",
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
# coverage (KPI51), and what its page says about it:
# - a form in the portal: forms_engine.demo builds it and points the page's start button at it;
# - a service of this site that is not a page (paying a bill at /pay/);
# - online on another site;
# - information only, or needs a conversation (not suitable for online);
# - every other service: by phone (the channel-shift backlog), and its page says so.
PORTAL_FORMS = {
    "report-a-missed-bin",
    "bulky-waste-collection",
    "resident-parking-permit",
    "report-a-pothole",
    "moving-home",
    "report-fly-tipping",
    "street-light-fault",
}
SITE_SERVICES = {
    "pay-a-bill-or-fine": ("/pay/", "Start now"),
    "parking-fines": ("/pay/", "Pay a parking fine"),
}
ONLINE_ELSEWHERE = {
    "pay-council-tax",
    "blue-badge",
    "planning-permission",
    "renew-library-books",
}
INFORMATION_ONLY = "Information only: there is nothing to apply for."
NOT_SUITABLE_ONLINE = {
    "bin-collection-days": INFORMATION_ONLY,
    "recycling": INFORMATION_ONLY,
    "recycling-centres": INFORMATION_ONLY,
    "council-tax-bands": INFORMATION_ONLY,
    "parking-zones": INFORMATION_ONLY,
    "gritting": INFORMATION_ONLY,
    "find-a-library": INFORMATION_ONLY,
    "mobile-library": INFORMATION_ONLY,
    "homelessness": "We need to talk to people at risk of homelessness the same day, by phone or in person.",
}

# The pages whose body is more than the sentence that says how the service is done.
BODIES = {
    "bin-collection-days": [
        (
            "paragraph",
            "<p>We collect bins once a week, on the same day each week. Your day depends on the first part of your postcode and the first letter of the second part.</p>"
            "<p>Your food waste caddy is emptied every week. Your general waste (black bin) and recycling (blue bin) are emptied on alternate weeks, and garden waste (green bin) every other week from March to November if you subscribe.</p>",
        ),
        (
            "table",
            {
                "table_caption": "Collection days by postcode",
                "first_row_is_table_header": True,
                "first_col_is_header": True,
                "data": [
                    ["Postcode", "Collection day"],
                    ["AN1 1 to AN1 4", "Monday"],
                    ["AN1 5 to AN1 9", "Tuesday"],
                    ["AN2", "Wednesday"],
                    ["AN3", "Thursday"],
                    ["AN4 and AB1", "Friday"],
                ],
            },
        ),
        (
            "paragraph",
            "<p>Put your bins out by 7am on your collection day, with the lid closed. After a bank holiday, collections that week are one day later.</p>"
            "<p>If your bin was not emptied on your collection day, report a missed bin.</p>",
        ),
    ],
    "pay-a-bill-or-fine": [
        (
            "paragraph",
            "<p>You can pay online at any time:</p>"
            "<ul><li>an invoice from the council, for example for trade waste collection</li>"
            "<li>a penalty charge notice (parking fine)</li></ul>"
            "<p>Some bills can be paid in parts. You will get a receipt by email.</p>"
            "<p>Council tax is paid on its own page: Pay your council tax.</p>",
        ),
    ],
    "parking-fines": [
        (
            "paragraph",
            "<p>You can pay a penalty charge notice (PCN) online at any time. If you pay within 14 days of the date on the notice, you pay half the amount.</p>"
            "<h2>Challenge a parking fine</h2>"
            "<p>If you think the fine is wrong, do not pay it: write to us within 28 days of the date on the notice, saying why, with any evidence such as photos or a receipt. Email parking@council.example or write to Parking Services, Town Hall, High Street, Anytown AN1 1AA.</p>"
            "<p>We will reply within 21 days. While we consider your challenge you will not have to pay more.</p>",
        ),
    ],
    "recycling": [
        (
            "paragraph",
            "<p>Your blue bin takes paper, card, cans, tins, glass bottles and jars, and plastic bottles, pots, tubs and trays. Rinse them and put them in loose, not in bags.</p>"
            "<p>Your food caddy takes all cooked and uncooked food. Everything else goes in your black bin.</p>",
        )
    ],
    "recycling-centres": [
        (
            "paragraph",
            "<p>Our recycling centres at Mill Lane and Station Road are open every day from 8am to 6pm (4pm from October to March). You can take household waste, garden waste, electrical items and furniture. You do not need to book.</p>",
        )
    ],
    "council-tax-bands": [
        (
            "paragraph",
            "<p>Your band is set by the Valuation Office Agency, from A (the lowest) to H. It is printed on your council tax bill. Band D is £2,150.40 a year this year; band A is two thirds of that, and band H is twice it.</p>",
        )
    ],
    "parking-zones": [
        (
            "paragraph",
            "<p>Anytown has four controlled parking zones (A to D). Restrictions apply Monday to Saturday, 8am to 6.30pm. The signs at the entrance to each zone show its times. You need a permit to park in a permit bay during those times.</p>",
        )
    ],
    "gritting": [
        (
            "paragraph",
            "<p>We grit main roads, bus routes and the roads to schools and the hospital whenever ice or snow is forecast. We do not grit pavements or side roads, but you can use the salt in the yellow grit bins for them.</p>",
        )
    ],
    "find-a-library": [
        (
            "paragraph",
            "<p>Anytown Central Library, High Street, is open Monday to Saturday, 9am to 6pm. Northfield and Southgate libraries are open Tuesday, Thursday and Saturday, 9am to 1pm. All libraries have free wifi and computers.</p>",
        )
    ],
    "mobile-library": [
        (
            "paragraph",
            "<p>The mobile library visits each village every 3 weeks, on the same day and at the same time. Its timetable is on the van and at every library.</p>",
        )
    ],
    "homelessness": [
        (
            "paragraph",
            "<p>If you are homeless tonight, call us now on 01234 567890. Out of hours, call 01234 567999.</p>"
            "<p>If you might lose your home in the next 8 weeks, call us as soon as you can. The sooner you contact us, the more we can do.</p>",
        )
    ],
}
BEFORE_YOU_START = {
    "pay-a-bill-or-fine": "<p>You will need the reference and the postcode printed on your bill or notice.</p><p>You will need to pay by debit or credit card.</p>",
    "parking-fines": "<p>You will need the penalty charge notice number (it starts PCN) and the postcode of the vehicle's registered address.</p><p>You will need to pay by debit or credit card.</p>",
}
# Related links beyond the first few pages of the same category.
RELATED = {
    "parking-fines": ["pay-a-bill-or-fine", "resident-parking-permit", "parking-zones"],
    "pay-a-bill-or-fine": ["pay-council-tax", "parking-fines"],
}

PHONE = "<p>You cannot do this online yet. Call us on 01234 567890, Monday to Friday, 9am to 5pm.</p>"
IN_THE_PORTAL = (
    "<p>You can do this online at any time. You will get a reference number, and if "
    "you have an account you can follow the progress in My account.</p>"
)
ON_ANOTHER_SITE = (
    "<p>You can do this online at any time. The start button takes you to the service on another website.</p>"
)


def _service_page(slug, title, code, summary, keywords):
    fee = "There is a fee" in summary
    online = slug in ONLINE_ELSEWHERE
    start_url, start_label = SITE_SERVICES.get(slug, ("", "Start now"))
    has_start = online or bool(start_url) or slug in PORTAL_FORMS
    if slug in BODIES:
        body = BODIES[slug]
    elif slug in PORTAL_FORMS:
        body = [("paragraph", IN_THE_PORTAL)]
    elif online:
        body = [("paragraph", ON_ANOTHER_SITE)]
    else:
        body = [("paragraph", PHONE)]
    before = BEFORE_YOU_START.get(slug) or (
        "<p>You will need your address and postcode.</p>"
        + ("<p>You will need to pay by debit or credit card.</p>" if fee else "")
    )
    return ServicePage(
        slug=slug,
        title=title,
        summary=summary,
        service_id=code,
        keywords=keywords,
        body=body,
        before_you_start=before if has_start else "",
        start_url=f"{EXTERNAL}/{slug}" if online else start_url,
        start_label=start_label,
        not_suitable_online=slug in NOT_SUITABLE_ONLINE,
        not_suitable_online_reason=NOT_SUITABLE_ONLINE.get(slug, ""),
        contact=[("contact", CONTACT)],
        review_by=timezone.localdate() + timedelta(days=180),
    )


# Moderation per section. The "Moderation" workflow (cms's initial migration) is on the home
# page, so every section needs a moderator's approval: service pages, guides, news and the
# statutory pages. In the demo the libraries team publishes its own pages (opening hours,
# mobile library stops) without moderation: the Editors group may publish in that section.
UNMODERATED_SECTIONS = {"libraries": "Editors"}


def demo_moderation_load() -> int:
    """Let the Editors publish the demo's unmoderated sections; returns how many permissions were added."""
    publish = Permission.objects.get(content_type__app_label="wagtailcore", codename="publish_page")
    home = HomePage.objects.get()
    added = 0
    for slug, group_name in UNMODERATED_SECTIONS.items():
        section = home.get_children().filter(slug=slug).first()
        group = Group.objects.filter(name=group_name).first()
        if section is None or group is None:
            continue
        added += GroupPagePermission.objects.get_or_create(group=group, page=section, permission=publish)[1]
    return added


def demo_content_load() -> dict[str, int]:
    """Create the demo site under the home page; returns how many pages were created."""
    home = HomePage.objects.get()
    created = 0
    services = {}
    categories = []
    for slug, title, summary, items in CATEGORIES:
        category, new = _add(home, ServiceIndexPage(slug=slug, title=title, summary=summary, intro=summary))
        created += new
        for item in items:
            page, new = _add(category, _service_page(*item))
            services[item[0]] = page
            created += new
        categories.append([services[item[0]] for item in items])
    for siblings in categories:
        for page in siblings:
            if not len(page.related_links):
                related = [services[slug] for slug in RELATED.get(page.slug, [])] or [
                    p for p in siblings if p.pk != page.pk
                ][:3]
                page.related_links = [("link", {"text": p.title, "page": p}) for p in related]
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
                                f'<p>Check your new <a linktype="page" id="{services["bin-collection-days"].pk}">bin collection day</a>. Order bins if the previous occupier took them.</p>',
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
    # The summary is the story's lead paragraph; the body goes on from it.
    for days_ago, slug, title, summary, body in [
        (
            2,
            "winter-gritting-begins",
            "Winter gritting begins",
            "Our gritters are out on priority routes from tonight.",
            "<p>Ice is forecast for the next three nights. Our 8 gritters will treat main roads, bus routes and the roads to schools and the hospital from 7pm each evening.</p>"
            "<p>We do not grit pavements or side roads. You can use the salt in the yellow grit bins on them.</p>",
        ),
        (
            9,
            "new-recycling-centre-hours",
            "New recycling centre opening hours",
            "Recycling centres will open later on Sundays from next month.",
            "<p>From the first Sunday of next month, the Mill Lane and Station Road recycling centres will open from 10am to 6pm on Sundays, instead of 8am to 4pm. Opening hours on other days do not change.</p>"
            "<p>More people visit on Sunday afternoons than on Sunday mornings, so the later hours mean shorter queues.</p>",
        ),
        (
            20,
            "library-e-books",
            "Borrow e-books with your library card",
            "Thousands of e-books and audiobooks are now free to borrow.",
            "<p>Sign in to the library app with your library card number and PIN to borrow up to 10 e-books and audiobooks at a time, for 3 weeks. There are no late fees: they return themselves.</p>"
            "<p>If you do not have a library card, you can join at any library. Bring something with your name and address on it.</p>",
        ),
    ]:
        _, new = _add(
            news_index,
            NewsPage(
                slug=slug,
                title=title,
                summary=summary,
                date=timezone.localdate() - timedelta(days=days_ago),
                body=[("paragraph", body)],
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
                    "pay-a-bill-or-fine",
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
            ("task", {"kind": "pay", "text": "Pay a bill or fine", "page": services["pay-a-bill-or-fine"]}),
        ]
        home.save_revision().publish()

    created += demo_statutory_pages_load(home)

    if not Alert.objects.exists():
        Alert.objects.create(
            title="Bin collections delayed by snow",
            message="<p>Collections may be up to two days late this week. Leave your bins out and we will empty them as soon as we can.</p>",
            summary="Bin collections may be up to two days late this week. Leave your bins out.",
            severity="warning",
            starts_at=timezone.now() - timedelta(hours=1),
            ends_at=timezone.now() + timedelta(days=7),
        )
    demo_synonyms_load(services)
    return {"pages_created": created}


# Words residents use for the same thing (Settings → Search synonyms), with the A to Z page
# each group says "see" (by slug; None: the service page its words find).
SYNONYM_GROUPS = [
    ("bin, bins, rubbish, refuse, waste, wheelie bin", "bin-collection-days"),
    ("council tax, ctax", "pay-council-tax"),
    ("tip, dump, household waste recycling centre, hwrc", "recycling-centres"),
    ("fly-tipping, fly tipping, dumped rubbish, illegal dumping", None),
    ("pothole, potholes, hole in the road, road defect", None),
    ("parking fine, parking ticket, pcn, penalty charge notice", None),
]


def demo_synonyms_load(services: dict[str, ServicePage]) -> int:
    """The demo's search synonym groups, once (none is added when any group exists); returns how many."""
    if SynonymGroup.objects.exists():
        return 0
    for words, slug in SYNONYM_GROUPS:
        group = SynonymGroup(words=words, a_to_z_page=services.get(slug) if slug else None)
        group.full_clean()
        group.save()  # refreshes cached searches and the A to Z (cms.receivers)
    return len(SYNONYM_GROUPS)


# The pages every council site must have (accessibility statement, privacy notice, cookies),
# linked from the footer.

ACCESSIBILITY_STATEMENT = {
    "slug": "accessibility",
    "title": "Accessibility statement",
    "summary": "How accessible this website is, what we are doing about the parts that are not, and how to tell us about a problem.",
    "website_name": "the Anytown Council website",
    "scope": "the Anytown Council website, including its online forms and My account",
    "how_accessible": (
        "<p>We test every page and online form with automated tools and by hand, with a keyboard "
        "and a screen reader. We know some parts of this website are not fully accessible:</p>"
        "<ul><li>some older PDF documents are not fully accessible to screen reader software</li>"
        "<li>the map in ‘Report a pothole’ cannot be used with a keyboard alone, but you can type an address instead</li></ul>"
    ),
    "contact_email": "accessibility@council.example",
    "contact_phone": "01234 567890",
    "contact_details": "<p>If you are deaf, hearing impaired or have a speech impediment, you can use Relay UK: dial 18001 then 01234 567890.</p>",
    "response_days": 5,
    "compliance_status": "partial",
    "wcag_version": "2.2",
    "non_compliance": (
        "<p>Some PDF documents published before 2024 have no headings or text alternatives for images, so "
        "screen reader users may not be able to read them. This fails WCAG 2.2 success criterion 1.1.1 "
        "(non-text content) and 1.3.1 (info and relationships). We plan to replace them with web pages by "
        "March 2027.</p>"
        "<p>The map in ‘Report a pothole’ cannot be moved with a keyboard. This fails WCAG 2.2 success "
        "criterion 2.1.1 (keyboard). You can type an address or describe the place instead. We plan to "
        "fix the map by June 2027.</p>"
    ),
    "out_of_scope": (
        "<p>Many of our older PDFs and Word documents are not needed to use our services, for example "
        "committee papers published before 23 September 2018. We do not plan to fix these.</p>"
    ),
    "improvements": (
        "<p>We check new pages and forms before they are published, and test the whole website every "
        "year. We are replacing PDF forms with online forms built to the GOV.UK Design System.</p>"
    ),
    "tested_by": "our digital team",
    "test_method": (
        "<p>We tested the home page, a sample of service pages, every online form, My account and "
        "payments, with automated tools (axe) and by hand with a keyboard, NVDA and VoiceOver.</p>"
    ),
}

PRIVACY_BODY = [
    (
        "paragraph",
        "<p>Anytown Council is the data controller for the personal information you give us on this "
        "website. This notice explains what we collect, why, how long we keep it and your rights.</p>"
        "<h2>What we collect</h2>"
        "<ul><li>the answers you give in our online forms, and any files you upload</li>"
        "<li>your name, email address and phone number if you create an account</li>"
        "<li>payment references (we never see or keep your card details)</li>"
        '<li>which pages you visit, to improve the website (see <a href="/cookies/">cookies</a>)</li></ul>'
        "<h2>Why we use it</h2>"
        "<p>We use your information to deliver the service you asked for, to contact you about it, and "
        "to meet our legal duties. Our lawful basis is usually that we need it to carry out our public "
        "tasks as a council (UK GDPR article 6(1)(e)), or to take a payment you asked to make.</p>"
        "<h2>How long we keep it</h2>"
        "<p>We keep requests and their answers for 6 years after they are closed, then delete them. "
        "Unfinished forms are deleted after 30 days. You can delete your account at any time from My account.</p>"
        "<h2>Who we share it with</h2>"
        "<p>We share information only with the teams and contractors who deliver the service, or where "
        "the law requires it. We never sell it.</p>"
        "<h2>Your rights</h2>"
        "<p>You can ask for a copy of your information (you can download most of it from My account), "
        "ask us to correct it or delete it, or object to how we use it. Email "
        '<a href="mailto:dpo@council.example">dpo@council.example</a> to contact our data protection officer.</p>'
        "<p>If you are not happy with how we use your information, you can complain to the "
        '<a href="https://ico.org.uk/make-a-complaint/">Information Commissioner’s Office</a>.</p>',
    )
]

# The page every install gets (cms.statutory), and a word on the demo's analytics.
COOKIES_BODY = [
    *cookies_body(),
    (
        "paragraph",
        "<h2>Analytics</h2><p>We count visits to pages on our own servers to improve the website. "
        "This does not use cookies.</p>",
    ),
]


def _statutory_add(home, page, fields: dict):
    """``page`` under ``home``, or the install's own page with its slug filled in with the demo
    council's wording while it is still unfinished ("[to complete]", saved by no editor):
    every install starts with these pages (``statutory_pages_ensure``), so the demo updates
    them rather than making second ones."""
    existing = home.get_children().filter(slug=page.slug).first()
    if existing is None and isinstance(page, AccessibilityStatementPage):
        existing = AccessibilityStatementPage.objects.first()
    if existing is None:
        return _add(home, page)
    existing = existing.specific
    if statutory_page_unfinished(existing):
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save_revision().publish()
    return existing, False


def demo_statutory_pages_load(home) -> int:
    """The accessibility statement, privacy notice and cookies pages, and a footer that links them.

    The footer links and the site's privacy notice are set only when an editor has not set them
    (or they are still the ones every install starts with).
    """
    created = 0
    today = timezone.localdate()
    accessibility_fields = {
        **ACCESSIBILITY_STATEMENT,
        "disproportionate_burden": "",
        "prepared_on": today - timedelta(days=60),
        "reviewed_on": today - timedelta(days=14),
        "tested_on": today - timedelta(days=21),
        "review_by": today + timedelta(days=365),
    }
    accessibility, new = _statutory_add(
        home, AccessibilityStatementPage(**accessibility_fields), accessibility_fields
    )
    created += new
    privacy_fields = {
        "slug": "privacy",
        "title": "Privacy notice",
        "summary": "How Anytown Council uses the information you give us on this website, and your rights.",
        "body": PRIVACY_BODY,
        "review_by": today + timedelta(days=365),
    }
    privacy, new = _statutory_add(home, StandardPage(**privacy_fields), privacy_fields)
    created += new
    cookies_fields = {
        "slug": "cookies",
        "title": "Cookies",
        "summary": "The cookies this website uses and why. We only use cookies the website needs to work.",
        "body": COOKIES_BODY,
        "review_by": today + timedelta(days=365),
    }
    cookies, new = _statutory_add(home, StandardPage(**cookies_fields), cookies_fields)
    created += new

    settings = CouncilSettings.for_site(home.get_site() or Site.objects.get(is_default_site=True))
    install_footer = [
        (link["text"], link["page"].pk, "")
        for _type, link in statutory_footer_links(
            accessibility=accessibility, privacy=privacy, cookies=cookies
        )
    ]
    footer = [
        (link.value.get("text"), getattr(link.value.get("page"), "pk", None), link.value.get("url") or "")
        for link in settings.footer_links
    ]
    footer_untouched = not footer or footer == install_footer
    if footer_untouched or settings.privacy_page_id is None:
        if footer_untouched:
            contact = home.get_children().filter(slug="contact-us").first()
            settings.footer_links = [
                *statutory_footer_links(accessibility=accessibility, privacy=privacy, cookies=cookies),
                *([("link", {"text": "Contact us", "page": contact})] if contact else []),
            ]
        if settings.privacy_page_id is None:
            settings.privacy_page = privacy
        settings.save()
    return created
