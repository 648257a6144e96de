"""`quizbot import | export | bank health | reports export`: bring-your-own-questions tools for maintainers."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot import formats, health
from bot.bank import MANIFEST, Bank, BankError, default_bank_dir, load_bank
from bot.formats import ImportContext
from bot.models import Exam
from bot.question_reports import export_csv
from bot.settings import Settings
from bot.storage.sqlite import SqliteRepository

IMPORT_FORMATS = sorted(formats.IMPORTERS)


def add_commands(sub: Any, bank_tools: Any) -> None:
    """Register the subcommands on the main parser (`sub`) and under `quizbot bank` (`bank_tools`)."""
    p = sub.add_parser("import", help="convert a question file (GIFT, Moodle XML, CSV, Markdown, OpenTDB) to our YAML")
    p.add_argument("file", type=Path)
    p.add_argument("--format", choices=IMPORT_FORMATS, help="the file's format (default: from its suffix)")
    p.add_argument("--exam", type=Path, help="bank folder whose exam.yaml the questions map onto (default: configured)")
    p.add_argument("--out", type=Path, help="YAML file to write (default: print); nothing is written on any error")
    p.add_argument("--task", help="task for questions whose category maps to none (id or slug, e.g. 1.2)")
    p.add_argument("--map", type=Path, help="YAML/JSON file mapping category names to task ids")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("export", help="write the bank as our YAML, GIFT, CSV or an Anki import file")
    p.add_argument("--format", required=True, choices=list(formats.EXPORTERS))
    p.add_argument("--bank", type=Path, help="bank folder (default: the configured bank)")
    p.add_argument("--task", help="only this task (id or slug)")
    p.add_argument("--out", type=Path, help="file to write (default: print)")
    p.set_defaults(func=cmd_export)
    p = bank_tools.add_parser("health", help="item analysis of answered questions; flags keys that may be wrong")
    p.add_argument("--db", type=Path, help="database file (default: the configured one)")
    p.add_argument("--bank", type=Path, help="bank folder (default: the configured bank)")
    p.add_argument("--all", action="store_true", help="list every answered question, not only the flagged ones")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_health)
    reports = sub.add_parser("reports", help="question reports").add_subparsers(metavar="TOOL")
    p = reports.add_parser("export", help="every member report as CSV (no member ids), most reported first")
    p.add_argument("--db", type=Path, help="database file (default: the configured one)")
    p.add_argument("--out", type=Path, help="file to write (default: print)")
    p.set_defaults(func=cmd_reports_export)


def _bank(path: Path | None) -> Bank | None:
    try:
        return load_bank(path or Settings().bank_dir or default_bank_dir())
    except BankError as exc:
        print(f"The bank has {len(exc.problems)} problem(s):\n{exc}", file=sys.stderr)
        return None


def _exam_bank(path: Path | None) -> Bank | None:
    """The bank to import into; a folder holding only its exam.yaml (a new bank) counts as an empty bank."""
    root = path or Settings().bank_dir or default_bank_dir()
    if root.is_dir() and not [p for p in root.glob("*.yaml") if p.name != MANIFEST]:
        try:
            exam = Exam.model_validate(YAML(typ="safe").load((root / MANIFEST).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, YAMLError, ValidationError) as exc:
            print(f"{root / MANIFEST}: {exc}", file=sys.stderr)
            return None
        return Bank(exam, {}, root)
    return _bank(root)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def _categories(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return {}
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        print(f"{path}: cannot read the mapping: {exc}", file=sys.stderr)
        return None
    if not isinstance(data, dict):
        print(f"{path}: the mapping must be `category: task` pairs", file=sys.stderr)
        return None
    return {str(k): str(v) for k, v in data.items()}


def cmd_import(args: argparse.Namespace) -> int:
    """Convert a file; print its report (like `quizbot validate`); write YAML only when nothing is wrong."""
    bank = _exam_bank(args.exam)
    categories = _categories(args.map)
    if bank is None or categories is None:
        return 2
    try:
        fmt = formats.format_name(args.format, args.file.name)
        data = args.file.read_bytes()
    except (ValueError, OSError) as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    if args.task and bank.resolve_task(args.task) is None:
        print(f"unknown task {args.task!r}", file=sys.stderr)
        return 2
    out = args.out.resolve() if args.out else None
    taken = {qid for qid, file in bank.files.items() if out is None or Path(file).resolve() != out}
    ctx = ImportContext(bank.exam, default_task=args.task, categories=categories, taken=taken, source=args.file.name)
    result = formats.import_bytes(data, fmt, ctx, str(args.file))
    for line in result.lines():
        print(line, file=sys.stderr)
    if not result.ok:
        print(f"{len(result.errors)} error(s): nothing written", file=sys.stderr)
        return 1
    _write(formats.export(result.questions, "yaml", bank.exam), args.out)
    print(f"{len(result.questions)} question(s), {len(result.warnings)} warning(s)", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the bank (or one task of it) in an export format."""
    bank = _bank(args.bank)
    if bank is None:
        return 2
    questions = list(bank.questions.values())
    if args.task:
        task = bank.resolve_task(args.task)
        if task is None:
            print(f"unknown task {args.task!r}", file=sys.stderr)
            return 2
        questions = [q for q in questions if q.task == task.id]
    _write(formats.export(questions, args.format, bank.exam), args.out)
    print(f"{len(questions)} question(s) exported as {args.format}", file=sys.stderr)
    return 0


async def _with_repo(db: Path | None) -> SqliteRepository | None:
    path = db or Settings().database_path
    if not path.exists():
        print(f"no database at {path}", file=sys.stderr)
        return None
    return await SqliteRepository.open(path)


def cmd_health(args: argparse.Namespace) -> int:
    """Print the item analysis of every answered question of the shipped bank (flagged ones by default)."""
    bank = _bank(args.bank)
    if bank is None:
        return 2

    async def run() -> list[health.HealthLine] | None:
        repo = await _with_repo(args.db)
        if repo is None:
            return None
        try:
            return health.analyse(await repo.answer_rows(), bank.questions)
        finally:
            await repo.close()

    lines = asyncio.run(run())
    if lines is None:
        return 2
    shown = lines if args.all else health.flagged(lines)
    if args.json:
        print(json.dumps([line.model_dump() for line in shown], indent=2))
        return 0
    from adapters.console.bank_render import health_line

    print(f"{len(health.flagged(lines))} of {len(lines)} answered question(s) flagged (key may be wrong)")
    for line in shown:
        print(health_line(line))
    return 0


def cmd_reports_export(args: argparse.Namespace) -> int:
    """Every report of every server as CSV."""

    async def run() -> str | None:
        repo = await _with_repo(args.db)
        if repo is None:
            return None
        try:
            return export_csv(await repo.question_reports())
        finally:
            await repo.close()

    text = asyncio.run(run())
    if text is None:
        return 2
    _write(text, args.out)
    return 0
