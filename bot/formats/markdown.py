"""Markdown checklists as public practice-question collections write them.

```
## Lambda                       (optional: a section heading is the category of the questions under it)
### Which setting limits how many instances of a function run at once?
- [ ] Memory
- [x] Reserved concurrency
Text after the options (not a back-to-top link) is the explanation of the correct option(s).
```
Images (`![alt](src)`) become plain links so no chat client embeds them; links are kept as written.
"""

from __future__ import annotations

import re

from bot.formats.common import Draft, DraftOption, FormatError

_QUESTION = re.compile(r"^###\s+(.*)$")
_SECTION = re.compile(r"^#{1,2}\s+(.*)$")
_OPTION = re.compile(r"^\s*[-*+]\s+\[([ xX])\]\s*(.*)$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_NAVIGATION = re.compile(r"back to top|table of contents|^\s*[-*_]{3,}\s*$", re.IGNORECASE)


def _links(text: str) -> str:
    return _IMAGE.sub(lambda m: f"[{m.group(1) or 'image'}]({m.group(2)})", text)


def parse(text: str) -> list[Draft]:
    """Every `### question` with its `- [x]` / `- [ ]` options as a draft."""
    drafts: list[Draft] = []
    section: str | None = None
    current: Draft | None = None
    after: list[str] = []
    stem: list[str] = []

    def finish() -> None:
        if current is None:
            return
        current.stem = _links("\n".join(stem).strip())
        explanation = _links("\n".join(after).strip())
        if explanation:
            for option in current.options:
                if option.correct:
                    option.explanation = explanation
            current.warnings.append("the explanation after the options was given to the correct option(s) only")
        if not current.options:
            current.errors.append("no '- [x]' / '- [ ]' options under the question")
        drafts.append(current)

    fence = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip().startswith("```"):
            fence = not fence
        question = None if fence else _QUESTION.match(raw)
        if question:
            finish()
            current = Draft(line=number, label=f"#{len(drafts) + 1}", stem="", options=[], category=section)
            stem, after = [question.group(1).strip()], []
            continue
        heading = None if fence else _SECTION.match(raw)
        if heading:
            finish()
            current, section = None, heading.group(1).strip() or None
            continue
        if current is None:
            continue
        option = None if fence else _OPTION.match(raw)
        if option:
            if after:
                current.errors.append(f"option at line {number} comes after text that follows the options")
            current.options.append(DraftOption(_links(option.group(2).strip()), option.group(1) != " "))
            continue
        if _NAVIGATION.search(raw) and not fence:
            continue
        if current.options:
            if raw.strip() or after:
                after.append(raw.rstrip())
        elif raw.strip() or len(stem) > 1:
            stem.append(raw.rstrip())
    finish()
    if not drafts:
        raise FormatError(1, "no questions found: each question starts with a '### ' heading")
    return drafts
