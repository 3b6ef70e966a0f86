"""The pages every council site must have from the day it is installed: the accessibility
statement, the privacy notice and the cookies page (``cms.services.statutory_pages_ensure``
makes them after migrate).

They are made live at once, with the structure the law and GOV.UK ask for and every part
only the council can write marked "[to complete]": a statement to finish is better than none
(a 404 at /accessibility/ breaks the accessibility regulations on day one), and the marks
make plain what is left. They are due for review the day they are made, so they head the
editors' "past their review date" list until someone finishes them.
"""

# Each part a council must write starts with this, so editors (and ``load_demo``) can tell
# an unfinished page from one the council has written.
TO_COMPLETE = "[to complete"

ACCESSIBILITY_SLUG = "accessibility"
PRIVACY_SLUG = "privacy"
COOKIES_SLUG = "cookies"


def accessibility_statement_fields(*, council_name: str, phone: str) -> dict:
    """The accessibility statement's fields: the template (``accessibility_statement_page.html``)
    holds the GOV.UK model statement's headings and legally required sentences."""
    return {
        "slug": ACCESSIBILITY_SLUG,
        "title": "Accessibility statement",
        "summary": "How accessible this website is, what we are doing about the parts that are "
        "not, and how to tell us about a problem.",
        "website_name": f"the {council_name} website",
        "scope": "[to complete: the website’s address, e.g. www.anytown.gov.uk, and what else this "
        "statement covers, such as its online forms and My account]",
        "how_accessible": (
            "<p>[to complete: what disabled people cannot do on this website, most important first, "
            "e.g. ‘some older PDF documents are not fully accessible to screen reader software’. "
            "Find out by testing the website: see ‘Preparation of this accessibility statement’.]</p>"
        ),
        "contact_phone": phone,
        "contact_details": (
            "<p>[to complete: how to contact you about accessibility: an email address, a phone "
            "number, a text relay or British Sign Language service, or a contact form.]</p>"
        ),
        "response_days": 5,
        "compliance_status": "partial",
        "wcag_version": "2.2",
        "non_compliance": (
            "<p>[to complete: each thing that is not accessible, the WCAG 2.2 success criterion it "
            "fails, and when you plan to fix it. If the website passes every criterion, choose "
            "‘Fully compliant’ and delete this.]</p>"
        ),
        "out_of_scope": (
            "<p>[to complete: content the regulations do not cover, e.g. PDFs and other documents "
            "published before 23 September 2018 that are not needed to use a service, or delete this.]</p>"
        ),
        "improvements": "<p>[to complete: what you are doing to fix the problems above, and by when.]</p>",
        "test_method": (
            "<p>[to complete: when the website was last tested, who tested it, which pages were tested "
            "and how they were chosen. Then fill in ‘website last tested on’ and ‘tested by’.]</p>"
        ),
    }


def privacy_notice_body(*, council_name: str) -> list:
    return [
        (
            "paragraph",
            f"<p>{council_name} is the data controller for the personal information you give us on "
            "this website. This notice explains what we collect, why, how long we keep it and your "
            "rights.</p>"
            "<h2>What we collect</h2>"
            "<ul><li>the answers you give in our online forms, and any files you upload</li>"
            "<li>your name, email address and phone number if you create an account</li>"
            "<li>payment references (we never see or keep your card details)</li></ul>"
            "<h2>Why we use it</h2>"
            "<p>We use your information to deliver the service you asked for, to contact you about "
            "it, and to meet our legal duties.</p>"
            "<p>[to complete: your lawful basis for each use, e.g. ‘we need it to carry out our "
            "public tasks as a council (UK GDPR article 6(1)(e))’.]</p>"
            "<h2>How long we keep it</h2>"
            "<p>[to complete: how long you keep requests and their answers, e.g. ‘6 years after "
            "they are closed’.] Unfinished forms are deleted after 30 days. You can delete your "
            "account at any time from My account.</p>"
            "<h2>Who we share it with</h2>"
            "<p>[to complete: the teams, contractors and other organisations you share it with, "
            "and why.]</p>"
            "<h2>Your rights</h2>"
            "<p>You can ask for a copy of your information (you can download most of it from My "
            "account), ask us to correct it or delete it, or object to how we use it.</p>"
            "<p>[to complete: how to contact your data protection officer, e.g. an email address.]</p>"
            "<p>If you are not happy with how we use your information, you can complain to the "
            '<a href="https://ico.org.uk/make-a-complaint/">Information Commissioner’s Office</a>.</p>',
        )
    ]


def cookies_body() -> list:
    """The cookies this software sets: true of every install, so nothing here is to complete
    unless the council adds its own (analytics, for example)."""
    return [
        (
            "paragraph",
            "<p>Cookies are small files saved on your phone, tablet or computer when you visit a "
            "website.</p>"
            "<p>We only use cookies that are needed to make this website work. They do not track you "
            "on other websites and are not used for advertising, so we do not ask for your consent "
            "to use them.</p>"
            "<h2>Cookies we use</h2>",
        ),
        (
            "table",
            {
                "first_row_is_table_header": True,
                "first_col_is_header": False,
                "data": [
                    ["Name", "Purpose", "Expires"],
                    [
                        "sessionid",
                        "Keeps you signed in, and remembers answers to a form you have started",
                        "2 weeks, or when you sign out",
                    ],
                    ["csrftoken", "Protects the forms on this website from misuse", "1 year"],
                    [
                        "messages",
                        "Shows a message once, for example ‘Your answers have been saved’",
                        "When you close your browser",
                    ],
                ],
            },
        ),
    ]
