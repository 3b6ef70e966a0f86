"""The order of a version's steps for one resident, given their answers so far.

Which steps and questions are shown, what comes next, what is missing, and the extra step
that asks anonymous residents for an email address.
"""

from datetime import date
from typing import Any

from .conditions import condition_met
from .question_types import answer_display
from .step_form import StepForm, step_data

# The reference goes to this address when nobody is signed in and the form asks no email question.
CONTACT_STEP_ID = "contact-email"
CONTACT_FIELD = "_contact_email"
CONTACT_STEP = {
    "id": CONTACT_STEP_ID,
    "title": "Your email address",
    "intro": "",
    "condition": None,
    "questions": [
        {
            "id": "contact-email-question",
            "type": "email",
            "name": CONTACT_FIELD,
            "label": "Email address",
            "hint": "We will send your reference number, and updates about your request, to this address.",
            "required": True,
            "condition": None,
            "options": {"prefill": "email"},
        }
    ],
}


class Flow:
    """The order of a version's steps for one resident, given their answers so far.

    Steps are numbered from 1 in schema order; hidden steps keep their numbers. When no
    one is signed in and no email question is answered, a last step asks for an email
    address so the reference can be sent.
    """

    def __init__(self, schema: dict, *, anonymous: bool):
        self.schema = schema
        self.steps: list[dict] = list(schema.get("steps") or [])
        if anonymous:
            self.steps.append(CONTACT_STEP)
        self.questions: dict[str, dict] = {q["name"]: q for s in self.steps for q in s["questions"]}
        self.step_of: dict[str, dict] = {q["name"]: s for s in self.steps for q in s["questions"]}
        self._email_names = [
            name for name, q in self.questions.items() if q["type"] == "email" and name != CONTACT_FIELD
        ]

    def step(self, number: int) -> dict | None:
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None

    def number_of(self, step_id: str) -> int | None:
        return next((i for i, s in enumerate(self.steps, 1) if s["id"] == step_id), None)

    def _step_visible(self, step: dict, kept: dict) -> bool:
        if step["id"] == CONTACT_STEP_ID:
            return not any(kept.get(name) for name in self._email_names)
        return condition_met(step.get("condition"), kept)

    def prune(self, answers: dict) -> dict:
        """Only the answers to questions that are shown, in form order."""
        kept: dict[str, Any] = {}
        for step in self.steps:
            if not self._step_visible(step, kept):
                continue
            for q in step["questions"]:
                if condition_met(q.get("condition"), kept) and answers.get(q["name"]) not in (
                    None,
                    "",
                    [],
                    {},
                ):
                    kept[q["name"]] = answers[q["name"]]
        return kept

    def visible_steps(self, answers: dict) -> list[tuple[int, dict]]:
        kept = self.prune(answers)
        return [(i, step) for i, step in enumerate(self.steps, 1) if self._step_visible(step, kept)]

    def visible_questions(self, step: dict, answers: dict) -> list[dict]:
        kept = self.prune(answers)
        return [q for q in step["questions"] if condition_met(q.get("condition"), kept)]

    def step_visible(self, number: int, answers: dict) -> bool:
        return any(i == number for i, _ in self.visible_steps(answers))

    def next_number(self, number: int, answers: dict) -> int | None:
        return next((i for i, _ in self.visible_steps(answers) if i > number), None)

    def previous_number(self, number: int, answers: dict) -> int | None:
        earlier = [i for i, _ in self.visible_steps(answers) if i < number]
        return earlier[-1] if earlier else None

    def first_incomplete(self, answers: dict) -> int | None:
        """The first shown step with a required question not answered, if any."""
        kept = self.prune(answers)
        for number, step in self.visible_steps(answers):
            for q in step["questions"]:
                if q.get("required") and condition_met(q.get("condition"), kept) and q["name"] not in kept:
                    return number
        return None

    def summary(self, answers: dict, uploads: dict | None = None) -> list[dict]:
        """Check-your-answers rows per shown step: ``{"number", "step", "rows": [...]}``."""
        kept = self.prune(answers)
        sections = []
        for number, step in self.visible_steps(answers):
            rows = []
            for q in step["questions"]:
                if not condition_met(q.get("condition"), kept):
                    continue
                value = kept.get(q["name"])
                rows.append(
                    {
                        "q": q,
                        "label": q["label"],
                        "value": answer_display(q, value, uploads),
                        "answered": value is not None,
                        "missing": bool(q.get("required")) and value is None,
                        "upload": (uploads or {}).get(q["name"]) if q["type"] == "file" else None,
                    }
                )
            sections.append({"number": number, "step": step, "rows": rows})
        return sections

    def invalid_step(
        self, answers: dict, uploads: dict | None = None, today: date | None = None
    ) -> int | None:
        """The first shown step whose saved answers no longer pass its checks (a required
        answer missing, or a booking date now in the past), or None when all is well."""
        kept = self.prune(answers)
        for number, step in self.visible_steps(kept):
            form = StepForm(step_data(step, kept), {}, step=step, answers=kept, uploads=uploads, today=today)
            if not form.is_valid():
                return number
        return None

    def contact_email(self, answers: dict) -> str:
        kept = self.prune(answers)
        for name in [*self._email_names, CONTACT_FIELD]:
            if kept.get(name):
                return kept[name]
        return ""

    def contact_name(self, answers: dict) -> str:
        kept = self.prune(answers)
        for name, q in self.questions.items():
            if (q.get("options") or {}).get("prefill") == "full_name" and kept.get(name):
                return str(kept[name])[:150]
        return ""
