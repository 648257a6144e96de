"""Moodle XML: `<quiz><question type="multichoice|truefalse|category">…</quiz>`, with per-answer feedback.

Parsed with the standard library after refusing any DOCTYPE: a file without one cannot declare entities, so
entity expansion attacks and external entities are impossible. Categories map to tasks through the mapping file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from bot.formats.common import Draft, DraftOption, FormatError, html_to_text, split_list
from bot.formats.gift import draft_letter

_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_QUESTION = re.compile(r"<question\b")
SUPPORTED = ("multichoice", "truefalse")


def parse(text: str) -> list[Draft]:
    """Every multichoice and truefalse question of a Moodle XML file as a draft; others are reported."""
    forbidden = _DOCTYPE.search(text)
    if forbidden:
        line = text[: forbidden.start()].count("\n") + 1
        raise FormatError(line, "DTDs and entity declarations are not allowed in an imported file")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        raise FormatError(line, f"broken XML at column {column + 1}: {_reason(exc)}") from None
    if root.tag != "quiz":
        raise FormatError(1, f"the root element is <{root.tag}>; a Moodle XML file starts with <quiz>")
    lines = [text[: m.start()].count("\n") + 1 for m in _QUESTION.finditer(text)]
    drafts: list[Draft] = []
    category: str | None = None
    for index, element in enumerate(root.findall("question")):
        line = lines[index] if index < len(lines) else 0
        kind = element.get("type", "")
        if kind == "category":
            category = _text(element.find("category")) or None
            continue
        name = _text(element.find("name")) or f"#{index + 1}"
        draft = Draft(line=line, label=name, stem=_rich(element.find("questiontext")), options=[], category=category)
        draft.qid = name
        if kind not in SUPPORTED:
            draft.skipped = f"a {kind or 'untyped'} question has no place in our model (only {', '.join(SUPPORTED)})"
            drafts.append(draft)
            continue
        _answers(element, draft, kind)
        _extras(element, draft)
        drafts.append(draft)
    return drafts


def _reason(exc: ET.ParseError) -> str:
    return str(exc).split(":", 1)[0]


def _text(element: ET.Element | None) -> str:
    """The `<text>` child of an element (or the element's own text)."""
    if element is None:
        return ""
    inner = element.find("text")
    return ((inner.text if inner is not None else element.text) or "").strip()


def _rich(element: ET.Element | None) -> str:
    """A text element that may hold HTML, as plain text."""
    raw = _text(element)
    if element is not None and element.get("format", "html") in ("html", "moodle_auto_format"):
        return html_to_text(raw)
    return raw


def _answers(element: ET.Element, draft: Draft, kind: str) -> None:
    weights: list[float] = []
    for answer in element.findall("answer"):
        try:
            weight = float(answer.get("fraction", "0"))
        except ValueError:
            draft.errors.append(f"answer fraction {answer.get('fraction')!r} is not a number")
            weight = 0.0
        text = _rich(answer)
        if kind == "truefalse":
            text = text.capitalize()
        feedback = _rich(answer.find("feedback")) or None
        draft.options.append(DraftOption(text, weight > 0, feedback))
        weights.append(weight)
    single = _text(element.find("single")).lower() != "false" and kind == "multichoice"
    if single and any(w >= 100 for w in weights):
        partial = [f"{draft_letter(i)} {w:g}%" for i, w in enumerate(weights) if 0 < w < 100]
        for i, w in enumerate(weights):
            draft.options[i].correct = w >= 100
        if partial:
            draft.warnings.append(f"partial credit dropped ({', '.join(partial)}); only 100% answers are keys")
    elif kind == "multichoice" and not single and len({w for w in weights if w > 0}) > 1:
        draft.warnings.append("unequal answer weights dropped; all keys must be chosen (all-or-nothing)")


def _extras(element: ET.Element, draft: Draft) -> None:
    tags = [_text(tag) for tag in element.findall("tags/tag")]
    draft.services = [t for tag in tags for t in split_list(tag)]
    if _text(element.find("generalfeedback")):
        draft.warnings.append("general feedback dropped (our explanations belong to each option)")
    if element.findall("hint"):
        draft.warnings.append("hints dropped")
    files = [f.get("name", "?") for f in element.iter("file")]
    if files:
        draft.warnings.append(f"embedded file(s) {', '.join(files)} not imported")
    for tag in ("difficulty",):
        value = _text(element.find(tag))
        if value.isdigit() and 1 <= int(value) <= 3:
            draft.difficulty = int(value)
