"""The staff pages (the Wagtail admin) are axe-checked like every other page. This module
records what axe-core found there that is inside Wagtail's own markup, and what the project
does about it.

``WORKAROUNDS``: problems in Wagtail's markup the project fixes itself, so axe passes with no
waiver (the fix is named; remove the entry and the fix when Wagtail fixes it upstream).

``STAFF_EXCEPTIONS``: problems the project cannot fix, waived narrowly. Each waives ONE rule
on the elements matching ONE selector, never a whole page: a new violation anywhere else, or
of another rule on the same element, still fails the test. The browser journeys apply them to
pages under ``/admin/`` only (``conftest.Journey.check``).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class AxeException:
    rule: str  # the axe-core rule id
    selector: str  # the elements it is waived on
    why: str  # what Wagtail does, and what the project does about it


WORKAROUNDS: tuple[AxeException, ...] = (
    AxeException(
        "aria-input-field-name",
        '.Draftail-Editor [contenteditable="true"][role="textbox"]',
        "Wagtail's rich text editor (Draftail) is a role=textbox with no accessible name: the "
        "field's <label> points at a hidden input. portal/static/portal/admin/staff-accessibility.js "
        "(insert_global_admin_js, portal/wagtail_hooks.py) names it with aria-labelledby.",
    ),
    AxeException(
        "scrollable-region-focusable",
        ".w-minimap__list",
        "The editor's minimap is a scrollable list whose links leave the tab order while it is "
        "collapsed. staff-accessibility.js gives the list tabindex=0 and a name.",
    ),
    AxeException(
        "label",
        "input[id*='-value-choices-']",
        "A StreamField ListBlock shows its items without a <label> (the form builder's answer "
        "options). forms_engine/blocks.py sets aria-label on the answer widget.",
    ),
    AxeException(
        "target-size",
        ".help-block.help-critical li > a",
        "Links in the admin's error summaries were under WCAG 2.2's 24x24 target size. "
        "portal/static/portal/admin/staff.css (insert_global_admin_css) sizes them.",
    ),
)

# One waiver today, and only a timing one: StreamField's add buttons (``.c-sf-add-button``: the
# form builder's add-an-answer-option and insert-a-question buttons) pass the target-size rule
# once shown (staff.css sizes them to 24x24 and turns their grow-in animation off), but axe
# sometimes measured one mid-animation and failed the run intermittently. Every other problem
# found is fixed above.
STAFF_EXCEPTIONS: tuple[AxeException, ...] = (
    AxeException(
        "target-size",
        ".c-sf-add-button",
        "StreamField's add buttons (the form builder's add-an-answer-option and insert-a-question "
        "buttons) grow from nothing when shown; axe sometimes measures one mid-animation, under "
        "24x24. staff.css sizes them and turns the animation off, but the check still failed "
        "intermittently on a loaded machine, so it is waived here.",
    ),
)
