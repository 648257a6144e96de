"""Question file formats: importers into our question model and exporters out of it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.formats import anki, csv_format, gift, markdown, moodle_xml, opentdb, yaml_format
from bot.formats.common import Draft, FormatError, ImportContext, ImportResult, Note, build, decode
from bot.models import Exam, Question

Parser = Callable[[str], list[Draft]]

IMPORTERS: dict[str, Parser] = {
    "gift": gift.parse,
    "moodle": moodle_xml.parse,
    "csv": csv_format.parse,
    "markdown": markdown.parse,
    "opentdb": opentdb.parse,
    "yaml": yaml_format.parse,
}
EXPORTERS = ("yaml", "gift", "csv", "anki")
ALIASES = {"moodle-xml": "moodle", "xml": "moodle", "md": "markdown", "otdb": "opentdb", "yml": "yaml", "txt": "gift"}
_SUFFIXES = {".gift": "gift", ".xml": "moodle", ".csv": "csv", ".md": "markdown", ".json": "opentdb", ".yaml": "yaml"}

__all__ = ["EXPORTERS", "IMPORTERS", "FormatError", "ImportContext", "ImportResult", "Note", "export", "import_bytes"]


def format_name(name: str | None, filename: str = "") -> str:
    """The canonical format for a name the user typed (or, without one, for the file's suffix); ValueError if none."""
    if name:
        key = ALIASES.get(name.strip().lower(), name.strip().lower())
        if key in IMPORTERS or key in EXPORTERS:
            return key
        known = ", ".join(sorted(set(IMPORTERS) | set(EXPORTERS)))
        raise ValueError(f"Unknown format `{name}`; use one of: {known}.")
    for suffix, key in _SUFFIXES.items():
        if filename.lower().endswith(suffix) or (suffix == ".yaml" and filename.lower().endswith(".yml")):
            return key
    raise ValueError("Say which format the file is in (format:gift, moodle, csv, markdown, opentdb or yaml).")


def import_bytes(data: bytes, fmt: str, ctx: ImportContext, file: str) -> ImportResult:
    """Read one file in a format into questions, with a report line for everything not mapped; all or nothing."""
    parser = IMPORTERS.get(fmt)
    if parser is None:
        raise ValueError(f"`{fmt}` can be exported but not imported.")
    try:
        drafts = parser(decode(data))
    except FormatError as exc:
        return ImportResult(file, [], [Note(exc.line, exc.label, exc.message, error=True)])
    questions, notes = build(drafts, ctx)
    if not drafts:
        notes.append(Note(0, "-", "the file holds no questions", error=True))
    return ImportResult(file, questions, notes)


def export(questions: Iterable[Question], fmt: str, exam: Exam) -> str:
    """Questions written in one of the export formats."""
    match fmt:
        case "yaml":
            return yaml_format.export(questions)
        case "gift":
            return gift.export(questions)
        case "csv":
            return csv_format.export(questions)
        case "anki":
            return anki.export(questions, exam)
    raise ValueError(f"`{fmt}` can be imported but not exported; export to yaml, gift, csv or anki.")
