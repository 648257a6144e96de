"""Open Trivia DB responses (`{"response_code": 0, "results": [...]}`): multiple and boolean, HTML entities decoded.

The correct answer's place among the options is fixed by a hash of the question, so an import is repeatable.
"""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any

from bot.formats.common import Draft, DraftOption, FormatError

DIFFICULTY = {"easy": 1, "medium": 2, "hard": 3}


def parse(text: str) -> list[Draft]:
    """Every result of an Open Trivia DB response as a draft."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(exc.lineno, f"broken JSON at column {exc.colno}: {exc.msg}") from None
    if isinstance(data, dict) and data.get("response_code", 0) != 0:
        raise FormatError(1, f"the response reports code {data.get('response_code')} (no questions)")
    results = data.get("results") if isinstance(data, dict) else data
    if not isinstance(results, list):
        raise FormatError(1, "expected an Open Trivia DB response with a 'results' list")
    return [_result(item, index) for index, item in enumerate(results, start=1)]


def _result(item: Any, index: int) -> Draft:
    draft = Draft(line=0, label=f"#{index}", stem="", options=[])
    if not isinstance(item, dict):
        draft.errors.append("a result must be a JSON object")
        return draft
    draft.stem = html.unescape(str(item.get("question", "")))
    kind = item.get("type")
    right = html.unescape(str(item.get("correct_answer", "")))
    wrong = item.get("incorrect_answers")
    if not isinstance(wrong, list):
        draft.errors.append("incorrect_answers must be a list")
        wrong = []
    if kind == "boolean":
        truth = right.strip().lower() == "true"
        draft.options = [DraftOption("True", truth), DraftOption("False", not truth)]
    elif kind == "multiple":
        options = [DraftOption(html.unescape(str(w)), False) for w in wrong]
        place = int(hashlib.sha256(draft.stem.encode()).hexdigest(), 16) % (len(options) + 1)
        options.insert(place, DraftOption(right, bool(right.strip())))
        draft.options = options
    else:
        draft.skipped = f"type {kind!r} is neither multiple nor boolean"
    category = item.get("category")
    draft.category = html.unescape(str(category)) if category else None
    draft.difficulty = DIFFICULTY.get(str(item.get("difficulty", "")).lower())
    return draft
