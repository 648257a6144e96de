"""Ids carried by buttons and menus: `quiz:{round_id}:{question_no}:{choice}`. Always untrusted input."""

from __future__ import annotations

import re
from typing import NamedTuple

PREFIX = "quiz"
MAX_LENGTH = 100  # Discord custom_id limit; Slack action_id allows 255
_PATTERN = re.compile(r"^quiz:(\d{1,12}):(\d{1,3}):([a-f]{0,6})$")


class AnswerId(NamedTuple):
    """A decoded component id; `choice` is empty for menus and checkboxes, whose values carry the letters."""

    round_id: int
    question_no: int
    choice: str


def encode(round_id: int, question_no: int, choice: str = "") -> str:
    """The component id of an answer control."""
    return f"{PREFIX}:{round_id}:{question_no}:{choice}"


def decode(text: str) -> AnswerId | None:
    """Decode a component id, or None when it is not one of ours (forged, truncated, oversized)."""
    match = _PATTERN.match(text) if len(text) <= MAX_LENGTH else None
    if match is None:
        return None
    return AnswerId(int(match.group(1)), int(match.group(2)), match.group(3))
