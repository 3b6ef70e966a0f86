"""The dashboard's sections, built from one ``Measures``: what the page, its CSV
(``exports``) and the committee report (``report``) show.

Every figure comes from :func:`~portal.insights.measures.measures_for` and the table of
figures (``figures.FIGURES``), which read the daily rollups, never the raw log, so the
dashboard stays fast however big the log is. ``insights()`` builds the table's figures in
one loop and adds the breakdowns (categories, channels, teams, funnel, costs). Charts are
drawn on the server (HTML/CSS bars), each with the same figures in a table next to it.
"""

from cms.models import CouncilSettings
from portal.interactions.constants import Channel
from portal.interactions.models import ContactTeam

from .figures import (
    HEADLINE,
    SIGNALS,
    Figure,
    _figure,
    _number,
    figures_for,
    net_satisfaction_figure,
)
from .forms import quick_periods
from .measures import Measures, measures_warm, percent


def _bars(rows: list[tuple[str, int, str]]) -> list[dict]:
    """Horizontal bars: (label, value, text) scaled so the longest bar fills the track."""
    top = max((value for _, value, _ in rows), default=0)
    return [
        {
            "label": label,
            "value": value,
            "text": text,
            # A sliver for any value above zero, so "1" never looks like "0".
            "width": f"{max(100 * value / top, 0.5) if value and top else 0:.1f}",
        }
        for label, value, text in rows
    ]


def _share_bars(rows: list[tuple[str, float | None, str]]) -> list[dict]:
    """Horizontal bars for shares: (label, percent, text) drawn on a 0 to 100% track, so a bar's
    length is the percentage its label gives (a 91.5% bar is longer than a 75.0% one)."""
    return [
        {
            "label": label,
            "value": percent,
            "text": text,
            # A sliver for any share above zero; a share above 100% fills the track.
            "width": f"{min(max(percent, 0.5), 100) if percent else 0:.1f}",
        }
        for label, percent, text in rows
    ]


def _bars_description(title: str, bars: list[dict]) -> str:
    return f"{title}: " + "; ".join(f"{b['label']} {b['text']}" for b in bars) + "."


def council_settings(site):
    """The council's settings for the site, without creating them (a report never writes)."""
    # The same choice as measures.unit_costs_pence, so the label matches the figures.
    council = CouncilSettings.objects.filter(site=site).first() if site else CouncilSettings.objects.first()
    return council or CouncilSettings()


def avoidable_contact_by_category(m: Measures) -> list[Figure]:
    """Avoidable contacts of each category (progress chasing, repeat...), out of all assisted contacts."""
    return [
        _figure(f"Avoidable contact: {label}", count, m.assisted_contacts, pct, of="assisted contacts")
        for _value, label, count, pct in m.avoidable_by_category
    ]


def avoidable_contact_by_channel(m: Measures) -> list[Figure]:
    """The share of each assisted channel's contacts that were avoidable."""
    return [
        _figure(f"Avoidable contact by channel: {label}", avoidable_n, assisted_n, pct, of=label.lower())
        for _value, label, assisted_n, avoidable_n, pct in m.avoidable_by_channel
    ]


def by_team(m: Measures) -> list[dict]:
    """Every assisted measure split by the team that handled the contact (0: not recorded)."""
    teams = m.by_team.get("assisted_contacts", {})
    names = dict(ContactTeam.objects.filter(pk__in=[t for t in teams if t]).values_list("pk", "name"))
    rows = []
    for team in sorted(teams, key=lambda t: (t == 0, names.get(t, ""), t)):
        assisted = teams[team]

        def share(metric: str, label: str, team: int = team, assisted: int = assisted) -> Figure:
            n = m.by_team.get(metric, {}).get(team, 0)
            return _figure(label, n, assisted, percent(n, assisted), of="assisted contacts")

        name = names.get(team, "Team not recorded") if team else "Team not recorded"
        rows.append(
            {
                "name": name,
                "assisted": assisted,
                "avoidable": share("avoidable_contacts", f"Avoidable contact: {name}"),
                "repeat": share("repeat_contacts", f"Repeat contact: {name}"),
                "fcr": share("resolved_first_contact", f"First contact resolution: {name}"),
            }
        )
    return rows


def contact_after_failure_figure(m: Measures) -> Figure:
    """Contact-page visits by someone who hit a failure signal earlier that day."""
    return Figure(
        "Contact page visits after a failed journey",
        m.total("contact_after_failure"),
        unit="count",
        hint="Visits to a contact page by someone who, earlier that day, searched with no "
        "results, rated a page not useful, hit a form error, abandoned a form or had a "
        "payment fail.",
    )


def transactions_by_channel(m: Measures) -> list[Figure]:
    """The number of transactions on each channel."""
    return [Figure(f"Transactions: {c.label}", c.transactions, unit="count") for c in m.costs]


_MESSAGE_CHANNELS = ((Channel.EMAIL, "Email"), (Channel.SMS, "Text message"), (Channel.LETTER, "Letter"))


def messages_figures(m: Measures) -> list[Figure]:
    """The council's own messages to residents, by channel, and the texts residents sent back."""
    sent = m.by_channel.get("messages_sent", {})
    figures = [
        Figure(
            f"Messages sent to residents: {label}",
            sent.get(channel, 0),
            unit="count",
            hint="Updates, receipts, reminders and alerts the council sent (proactive contact, "
            "not counted as contact residents made).",
        )
        for channel, label in _MESSAGE_CHANNELS
    ]
    figures.append(
        Figure(
            "Text messages received",
            m.total("messages_received"),
            unit="count",
            hint="Texts residents sent to the council's number: replies on a case, and texts the "
            "contact centre triaged.",
        )
    )
    return figures


def form_funnel_rows(m: Measures) -> list[dict]:
    """Each form step: how many completed it, out of the starts of its form."""
    starts_by_form = m.by_key.get("form_starts:web", {})
    return [
        {
            "form": step.form,
            "step": step.title or step.step,
            "figure": _figure(
                f"Form step completed: {step.form} / {step.title or step.step}",
                step.completions,
                starts_by_form.get(step.form, 0),
                step.percent_of_starts,
                of="starts of this form",
            ),
        }
        for step in m.funnel
    ]


def channel_costs(m: Measures) -> list[dict]:
    """Each channel's unit cost and its transactions' total cost."""
    return [
        {
            "label": c.label,
            "transactions": c.transactions,
            "unit": Figure(f"Unit cost: {c.label}", c.unit_cost_pence, unit="GBP"),
            "total": Figure(f"Cost: {c.label}", c.total_pence, c.transactions, unit="GBP"),
        }
        for c in m.costs
    ]


def _costed_channels(m: Measures) -> list:
    """The channels that have a unit cost (the others are left out of the cost totals)."""
    return [c for c in m.costs if c.unit_cost_pence is not None]


def total_cost_figure(m: Measures) -> Figure:
    """The cost of the transactions on every channel with a unit cost."""
    costed = _costed_channels(m)
    return Figure(
        "Cost: all channels with a unit cost",
        sum(c.total_pence for c in costed) if costed else None,
        sum(c.transactions for c in costed),
        unit="GBP",
    )


def average_cost_figure(m: Measures) -> Figure:
    """The average cost of a transaction on the channels with a unit cost."""
    return Figure(
        "Average cost per transaction",
        m.average_cost_per_transaction_pence,
        None,
        sum(c.transactions for c in _costed_channels(m)),
        unit="GBP",
        hint="Each channel's transactions × its unit cost, added up and divided by the "
        "transactions on channels that have a unit cost.",
    )


def web_traffic(m: Measures) -> list[Figure]:
    """Page views, web visitors, contact-page visits and bot requests."""
    t = m.total
    return [
        Figure("Page views", t("page_views"), unit="count", hint="Pages people looked at."),
        Figure(
            "Web visitors",
            m.web_visitors,
            unit="count",
            hint="Different visitors, counted once a day (so this adds up visitor-days). "
            "Visitors are recognised without cookies, and only for one day.",
        ),
        Figure(
            "Contact page visits",
            t("contact_page_views"),
            unit="count",
            hint="Visits to the council's contact pages.",
        ),
        Figure(
            "Bot requests",
            t("bot_requests"),
            unit="count",
            hint="Requests from search engines and other robots: counted, never logged.",
        ),
    ]


def insights(measures: Measures) -> dict:
    """Every figure the page and the CSV show, built from one ``Measures``: the table of
    figures (``figures.FIGURES``), then the breakdowns."""
    m = measures
    figures = figures_for(m)
    avoidable = figures["avoidable"]
    categories = avoidable_contact_by_category(m)
    by_channel_transactions = transactions_by_channel(m)
    funnel_rows = form_funnel_rows(m)
    category_bars = _bars([(f.label.split(": ", 1)[1], f.numerator or 0, f.full) for f in categories])
    channel_bars = _bars(
        [(f.label.split(": ", 1)[1], f.value or 0, _number(f.value or 0)) for f in by_channel_transactions]
    )
    return {
        "figures": figures,
        "headline": {key: figures[key] for key in HEADLINE},
        "coverage_figure": figures["failed_web_coverage"],
        "net_satisfaction": net_satisfaction_figure(m),
        "teams": by_team(m),
        "avoidable": avoidable,
        "categories": categories,
        "by_channel": avoidable_contact_by_channel(m),
        "signals": [figures[key] for key in SIGNALS],
        "contact_after_failure": contact_after_failure_figure(m),
        "transactions_by_channel": by_channel_transactions,
        "transactions_total": m.transactions,
        "message_figures": messages_figures(m),
        "funnel": funnel_rows,
        "costs": channel_costs(m),
        "total_cost": total_cost_figure(m),
        "average_cost": average_cost_figure(m),
        "traffic": web_traffic(m),
        "category_bars": category_bars,
        "category_bars_description": _bars_description("Avoidable contacts by category", category_bars),
        "channel_bars": channel_bars,
        "channel_bars_description": _bars_description("Transactions by channel", channel_bars),
        # Labelled with each step's share of its form's starts, so drawn to that share.
        "funnel_bars": _share_bars(
            [(f"{r['form']}: {r['step']}", r["figure"].value, r["figure"].full) for r in funnel_rows]
        ),
    }


def dashboard_figures_warm() -> None:
    """Prepare the quick periods (all services) after the rollups change."""
    measures_warm(periods=[(start, end) for _, start, end in quick_periods()])
