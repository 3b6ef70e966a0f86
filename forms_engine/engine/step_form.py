"""The questions of one step as a Django form, and saved answers as the data a browser sends.

A question whose condition depends on another question on the *same* step is shown with a
note (the page works without JavaScript) and checked against what was sent with it. When that
other question is radios or checkboxes and the condition picks out one of its options, the
question is placed under that option as a GOV.UK conditional reveal: with JavaScript it
appears only when the option is chosen (and the note is hidden); without, it shows as before.
"""

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from portal.lib.uploads import types_text

from .conditions import condition_met, condition_text
from .parsing import normalise
from .question_types import FieldErrors, handler_for

# Types shown as a group of inputs under one legend (GOV.UK fieldset), rather than one labelled input.
FIELDSET_TYPES = frozenset({"radios", "checkboxes", "date", "address", "location", "declaration"})


class StepForm(forms.Form):
    """The questions of one step, bound to what the resident sent (or showing their answers).

    ``answers`` are the draft's answers so far; questions whose conditions depend on
    earlier steps are left out when those answers hide them. ``partial`` (for "Save and
    come back later") checks what was typed but requires nothing. After ``is_valid()``,
    ``step_answers`` holds this step's answers (a ``PendingUpload`` for a new file).
    """

    use_required_attribute = False

    def __init__(
        self,
        data=None,
        files=None,
        *,
        step: dict,
        answers: dict | None = None,
        uploads: dict | None = None,
        profile: dict | None = None,
        partial: bool = False,
        today: date | None = None,
        auto_id: str = "id_%s",
        preview_questions: dict[str, dict] | None = None,
    ):
        super().__init__(data, files, auto_id=auto_id)
        # In the editor's preview every question is shown, each condition explained in words.
        self.preview_questions = preview_questions
        self.step = step
        self.answers = answers or {}
        self.uploads = uploads or {}
        self.partial = partial
        self.today = today or timezone.localdate()
        self.step_answers: dict[str, Any] = {}
        names_here = {q["name"] for q in step["questions"]}
        self.questions: list[dict] = []
        self.dynamic: set[str] = set()
        for q in step["questions"]:
            condition = q.get("condition")
            if condition and (condition.get("field") in names_here or preview_questions is not None):
                self.dynamic.add(q["name"])
            elif not condition_met(condition, self.answers):
                continue
            self.questions.append(q)
            handler = handler_for(q)
            fields = handler.fields(q)
            if len(fields) == 1 and q["type"] not in FIELDSET_TYPES:
                only = next(iter(fields.values()))
                only.label = q["label"]
            self.fields.update(fields)
            value = self.answers.get(q["name"])
            if value in (None, "", [], {}):
                self.initial.update(handler.prefill(q, profile or {}))
            else:
                self.initial.update(handler.initial(q, value))

    def clean(self):
        cleaned = super().clean()
        names_here = {q["name"] for q in self.step["questions"]}
        combined = {k: v for k, v in self.answers.items() if k not in names_here}
        for q in self.questions:
            handler = handler_for(q)
            names = handler.field_names(q)
            if not condition_met(q.get("condition"), combined):
                for name in names:
                    self._errors.pop(name, None)
                continue
            if any(name in self._errors for name in names):
                continue
            try:
                value = handler.clean(q, {name: cleaned.get(name) for name in names}, self)
            except FieldErrors as exc:
                for name, message in exc.errors.items():
                    self.add_error(name, message)
                continue
            if value in (None, "", [], {}):
                if q.get("required") and not self.partial:
                    self.add_error(names[0], handler.required_message(q))
                continue
            self.step_answers[q["name"]] = value
            combined[q["name"]] = value
        return cleaned

    def error_names(self) -> list[str]:
        """The questions (by name) that have an error, for the ``form_error`` interaction."""
        names = []
        for q in self.questions:
            if any(name in self.errors for name in handler_for(q).field_names(q)):
                names.append(q["name"])
        if self.non_field_errors():
            names.append("__all__")
        return names

    def reveal_choice(self, q: dict) -> tuple[str, int] | None:
        """(source question name, index of the option) under which ``q`` is revealed, or None.

        Only for a question whose condition is another radios or checkboxes question earlier on
        this step, not itself revealed, when exactly one of its options meets the condition.
        """
        if q["name"] not in self.dynamic or self.preview_questions is not None:
            return None
        condition = q["condition"]
        for source in self.questions:
            if source["name"] == q["name"]:
                return None  # the source must come first
            if source["name"] != condition["field"]:
                continue
            if source["type"] not in ("radios", "checkboxes") or source["name"] in self.dynamic:
                return None
            wanted = normalise(condition.get("value") or "")
            choices = [normalise(c) for c in handler_for(source).choices(source)]
            if condition.get("operator") == "contains":
                matches = [i for i, choice in enumerate(choices) if wanted in choice]
            else:
                matches = [i for i, choice in enumerate(choices) if choice == wanted]
            return (source["name"], matches[0]) if len(matches) == 1 else None
        return None

    def only_if(self, q: dict) -> str:
        """The note saying when to answer a question that depends on this step's answers."""
        if q["name"] not in self.dynamic:
            return ""
        condition = q["condition"]
        source = next((o for o in self.step["questions"] if o["name"] == condition["field"]), None)
        if source is None and self.preview_questions:
            source = self.preview_questions.get(condition["field"])
        return condition_text(condition, source) + "."

    def hint(self, q: dict, *, with_condition: bool = True) -> str:
        """The hint under a question: the editor's, what a file must be, and when to answer."""
        lines = [q.get("hint") or ""]
        if q["type"] == "file":
            handler = handler_for(q)
            megabytes = handler.max_bytes(q) // (1024 * 1024)
            lines.append(
                f"The file must be a {types_text(handler.allowed(q))} and smaller than {megabytes}MB."
            )
        if with_condition:
            lines.append(self.only_if(q))
        return "\n".join(line for line in lines if line)

    def rows(self) -> list[dict]:
        """What the template renders: each question with its bound fields and the ids that
        tie hints and errors to the inputs (``aria-describedby``).

        A question revealed under an option is not a row of its own: it is in its source row's
        ``items`` (one per option: ``value``, ``id``, ``reveal`` rows, ``revealed``)."""
        rows = []
        by_name: dict[str, dict] = {}
        for q in self.questions:
            handler = handler_for(q)
            reveal = self.reveal_choice(q)
            row = {"q": q, "fields": [self[name] for name in handler.field_names(q)]}
            # Revealed: the "Only if" note is marked so JavaScript can hide it with the question.
            row["hint"] = self.hint(q, with_condition=reveal is None)
            row["only_if"] = self.only_if(q) if reveal is not None else ""
            field = row["field"] = row["fields"][0]
            row["upload"] = self.uploads.get(q["name"])
            row["fieldset"] = q["type"] in FIELDSET_TYPES
            row["has_error"] = any(f.errors for f in row["fields"])
            # Address and location parts carry their own errors; the group is not marked as a whole.
            row["group_error"] = row["has_error"] and q["type"] not in ("address", "location")
            value = field.value()
            if q["type"] in ("radios", "select"):
                row["selected"] = [str(value)] if value not in (None, "") else []
            elif q["type"] == "checkboxes":
                items = value if isinstance(value, list | tuple) else ([value] if value else [])
                row["selected"] = [str(item) for item in items]
            elif q["type"] == "date":
                row["parts"] = value if isinstance(value, dict) else {}
            describedby = [f"{field.auto_id}_helptext"] if row["hint"] or row["only_if"] else []
            if q["type"] == "long_text":
                describedby.append(f"{field.auto_id}-info")
            if row["group_error"]:
                describedby.append(f"{field.auto_id}_error")
            row["describedby"] = " ".join(describedby)
            if not row["fieldset"]:
                field.field.widget.attrs["aria-describedby"] = row["describedby"]
                if not row["describedby"]:
                    field.field.widget.attrs.pop("aria-describedby")
            if q["type"] == "long_text":
                row["max_length"] = handler.max_length(q)
            if q["type"] in ("radios", "checkboxes", "select"):
                row["choices"] = handler.choices(q)
            if q["type"] in ("radios", "checkboxes"):
                row["items"] = [
                    {
                        "value": choice,
                        "id": field.auto_id if i == 0 else f"{field.auto_id}-{i + 1}",
                        "reveal": [],
                        "checked": choice in row["selected"],
                    }
                    for i, choice in enumerate(row["choices"])
                ]
            by_name[q["name"]] = row
            if reveal is not None:
                source_row = by_name[reveal[0]]
                source_row["items"][reveal[1]]["reveal"].append(row)
                row["revealed"] = True
                continue
            rows.append(row)
        return rows

    @property
    def reveals(self) -> bool:
        """Whether any question on this step is revealed under an option (the page loads its script)."""
        return any(self.reveal_choice(q) is not None for q in self.questions)


def step_data(step: dict, answers: dict) -> MultiValueDict:
    """What a browser would send to show these answers: to check saved answers again."""
    data = MultiValueDict()
    for q in step["questions"]:
        value = answers.get(q["name"])
        if value in (None, "", [], {}):
            continue
        for name, shown in handler_for(q).initial(q, value).items():
            if isinstance(shown, dict):
                for part, text in shown.items():
                    data[f"{name}-{part}"] = str(text)
            elif isinstance(shown, list):
                data.setlist(name, [str(item) for item in shown])
            elif shown is True:
                data[name] = "on"
            elif shown not in (None, False):
                data[name] = str(shown)
    return data
