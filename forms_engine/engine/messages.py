"""Error messages that name their question (GOV.UK error message guidance).

"Select which bin was not collected", "Enter your postcode", "Date of the change must be in
the past": never a bare "Select an answer", so two questions on one page never share a message.

An editor can set, per question, the whole message for an empty answer (``error_message``)
and how other messages refer to the answer (``error_name``, e.g. "your vehicle
registration"). Without them, both come from the question's label:

* a statement ("Vehicle registration number", "Date of the change") is the thing itself:
  "Enter the vehicle registration number", "Date of the change must be in the past";
* "What is your postcode?" becomes "your postcode";
* "Which bin was not collected?" and other wh-questions become indirect questions
  ("which bin was not collected", "how big it is", "where you will leave the items");
* a label that is already an instruction ("Upload a photo", "Describe the items") is the
  message for an empty answer as it stands.

Anything else is quoted: 'Select an answer to "Did you pay?"'.
"""

from __future__ import annotations

import re

# Words that start a label that is already an instruction.
_IMPERATIVES = frozenset(
    [
        "upload",
        "describe",
        "enter",
        "select",
        "choose",
        "give",
        "tell",
        "list",
        "explain",
        "add",
        "provide",
        "confirm",
        "tick",
        "attach",
    ]
)
_DETERMINERS = frozenset(
    ["the", "your", "my", "our", "their", "his", "her", "its", "a", "an", "this", "that", "these", "those"]
)
_PRONOUNS = frozenset(["you", "it", "we", "they", "he", "she", "i"])
_WH = ("how many", "how much", "how often", "how long", "how old", "how big", "which", "what", "whose")
_WH_SIMPLE = ("where", "when", "why", "how", "who")
_BE = frozenset(["is", "are", "was", "were"])
_MODALS = frozenset(
    ["will", "would", "can", "could", "should", "shall", "may", "might", "must", "have", "has"]
)
_DO = frozenset({"do", "does"})

_HOW_MANY = re.compile(r"^how many ([a-z]+)\b", re.IGNORECASE)
_OPTIONAL = re.compile(r"\s*\(optional\)\s*$", re.IGNORECASE)
_WHAT_IS = re.compile(r"^(?:what|what's)\s+(?:is|are)?\s*(?P<rest>(?:the|your|my|our|their)\b.*)$", re.I)


def _tidy(label: str) -> tuple[str, bool]:
    text = _OPTIONAL.sub("", " ".join((label or "").split()))
    question = text.endswith("?")
    return text.rstrip("?").rstrip(), question


def _lower_first(text: str) -> str:
    """ "Vehicle registration" -> "vehicle registration"; "UK phone number" stays as it is."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _indirect(text: str) -> str | None:
    """A wh-question as an indirect question ("How big is it" -> "how big it is"), or None."""
    lowered = text.lower()
    words = text.split()
    lead = next((w for w in _WH if lowered == w or lowered.startswith(w + " ")), None)
    if lead is None:
        lead = next((w for w in _WH_SIMPLE if lowered == w or lowered.startswith(w + " ")), None)
        if lead is None:
            return None
        wh_len = 1
    else:
        wh_len = len(lead.split())
        # "Which bin", "How many items": the noun after the wh-word belongs to it.
        noun_follows = len(words) > wh_len and words[wh_len].lower() not in _BE | _MODALS | _DO | {"did"}
        if lead in ("which", "what", "whose", "how many", "how much") and noun_follows:
            wh_len += 1
    head, rest = words[:wh_len], words[wh_len:]
    if not rest:
        return None
    verb = rest[0].lower()
    if verb in _BE | _MODALS | _DO:
        # Inversion: "is it" -> "it is"; "will you leave" -> "you will leave"; "do you want" -> "you want".
        if len(rest) > 1 and rest[1].lower() in _PRONOUNS:
            moved = [rest[1]] if verb in _DO else [rest[1], rest[0]]
            body = moved + rest[2:]
        elif verb in _BE and len(rest) > 1 and rest[1].lower() in _DETERMINERS and len(rest) <= 5:
            body = rest[1:] + [rest[0]]  # "Where is the pothole" -> "where the pothole is"
        elif verb in _BE and lead in ("which", "what", "whose", "how many", "how much") and wh_len > 1:
            body = rest  # "Which bin was not collected": already in order
        elif lead in ("what", "who") and verb not in _DO:
            body = rest  # "What has changed": the wh-word is the subject
        else:
            return None
    elif verb == "did":
        return None  # "When did you move" needs a past tense: quote the question instead
    else:
        body = rest  # "Who lives there", "Which bin needs emptying"
    return " ".join([head[0].lower(), *head[1:], *body])


def _whether(text: str) -> str | None:
    """A yes/no question about "you" or "it": "Do you pay for it" -> "whether you pay for it"."""
    words = text.split()
    if len(words) < 3 or words[1].lower() not in _PRONOUNS:
        return None
    verb = words[0].lower()
    if verb in _DO:
        return " ".join(["whether", words[1].lower(), *words[2:]])
    if verb in _BE | _MODALS:
        return " ".join(["whether", words[1].lower(), verb, *words[2:]])
    return None


def _derived_name(label: str) -> tuple[str, bool] | None:
    """What the label names, and whether it is a noun phrase (rather than an indirect question)."""
    text, question = _tidy(label)
    if not text:
        return None
    if not question:
        first = text.split()[0].lower()
        if first in _IMPERATIVES:
            return None
        if first in _DETERMINERS:
            return _lower_first(text), True
        return "the " + _lower_first(text), True
    match = _WHAT_IS.match(text)
    if match:
        return match.group("rest"), True
    indirect = _indirect(text) or _whether(text)
    if indirect is not None:
        return indirect, False
    return None


def error_name(q: dict) -> tuple[str, bool] | None:
    """How messages refer to this answer: (phrase, is a noun phrase), or None to quote the label."""
    custom = " ".join(str((q.get("options") or {}).get("error_name") or "").split())
    if custom:
        return custom, True
    return _derived_name(q.get("label") or "")


def required_message(q: dict, verb: str, fallback_object: str = "an answer") -> str:
    """The message for a required question left empty: "<verb> <what it is>"."""
    custom = " ".join(str((q.get("options") or {}).get("error_message") or "").split())
    if custom:
        return custom
    text, _question = _tidy(q.get("label") or "")
    if text and text.split()[0].lower() in _IMPERATIVES:
        return upper_first(text)
    name = error_name(q)
    if name is not None:
        return f"{verb} {name[0]}"
    label = _quoted(q)
    return f"{verb} {fallback_object} to ‘{label}’" if label else f"{verb} {fallback_object}"


def _quoted(q: dict) -> str:
    text, question = _tidy(q.get("label") or "")
    return f"{text}?" if question else text


def subject(q: dict, fallback: str) -> str:
    """The answer as the subject of a sentence ("Date of move must be in the past"): the
    editor's name for it, a statement label as it stands, "Your postcode" from "What is your
    postcode?", or else ``fallback`` with the question quoted."""
    custom = " ".join(str((q.get("options") or {}).get("error_name") or "").split())
    if custom:
        return upper_first(custom)
    text, question = _tidy(q.get("label") or "")
    if text and not question and text.split()[0].lower() not in _IMPERATIVES:
        return upper_first(text)
    how_many = _HOW_MANY.match(text)
    if how_many:
        return f"The number of {how_many.group(1)}"  # "How many items…?" -> "The number of items"
    name = _derived_name(q.get("label") or "")
    if name is not None and name[1]:
        return upper_first(name[0])
    label = _quoted(q)
    return f"{fallback} for ‘{label}’" if label else fallback
