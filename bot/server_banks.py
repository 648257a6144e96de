"""Per-server banks: uploaded questions stored in the database, merged with the shipped bank as each server chooses.

A server quizzes from its own bank, the shipped one, or both (the default), minus the questions it hides. Its own
questions live under its workspace key only, so no server ever sees another's. They are cached in memory per
workspace (the database is the truth; the cache is filled on first use and refreshed after every change).
"""

from __future__ import annotations

import hashlib

from bot import formats
from bot.bank import Bank
from bot.bank_cards import BankImportLine, BankListCard, ExportCard, ImportCard, NoticeCard
from bot.commands import Command, CommandError
from bot.formats import ImportContext
from bot.models import Question, Target, UserRef
from bot.ports import Clock, Repository

USE_SETTING = "bank"
MODES = ("own", "shipped", "both")
DEFAULT_MODE = "both"
FIRST_SERVER_NUMBER = 5000  # uploaded questions are numbered from 5001 so the shipped bank can grow below them
EXPORT_SUFFIX = {"yaml": "yaml", "gift": "gift", "csv": "csv", "anki": "txt"}


class BankRefused(Exception):
    """A bank action refused; one polite sentence, nothing written."""


class ServerBanks:
    """The bank each server sees, and the admin actions on its own questions."""

    def __init__(self, shipped: Bank, repo: Repository, clock: Clock) -> None:
        self.shipped = shipped
        self._repo = repo
        self._clock = clock
        self._cache: dict[str, dict[str, Question]] = {}

    # ---- the bank a server sees ----------------------------------------------------------------------------------

    async def own(self, target: Target) -> dict[str, Question]:
        """A server's own enabled questions (loaded once, then from memory)."""
        key = target.workspace_key
        if key not in self._cache:
            loaded = [Question.model_validate_json(data) for data in await self._repo.server_questions(key)]
            self._cache[key] = {q.id: q for q in loaded}
        return self._cache[key]

    async def ensure(self, target: Target) -> None:
        """Make sure a server's questions are in memory before a synchronous lookup (`find`)."""
        await self.own(target)

    def find(self, target: Target, question_id: str) -> Question | None:
        """A question as this server knows it: its own first, then the shipped bank (hidden ones included)."""
        own = self._cache.get(target.workspace_key, {})
        return own.get(question_id) or self.shipped.get(question_id)

    async def mode(self, target: Target) -> str:
        """own, shipped or both."""
        value = (await self._repo.get_settings(target.workspace_key)).get(USE_SETTING, DEFAULT_MODE)
        return value if value in MODES else DEFAULT_MODE

    async def view(self, target: Target) -> Bank:
        """The bank quizzes in this server pick from: the mode's questions minus the hidden ones."""
        mode = await self.mode(target)
        hidden = await self._repo.hidden_questions(target.workspace_key)
        if not hidden and mode == "shipped":
            return self.shipped
        pool: dict[str, Question] = {}
        files: dict[str, str] = {}
        if mode in ("shipped", "both"):
            pool.update(self.shipped.questions)
            files.update(self.shipped.files)
        if mode in ("own", "both"):
            own = await self.own(target)
            pool.update(own)
            files.update({qid: "server bank" for qid in own})
        kept = {qid: q for qid, q in pool.items() if qid not in hidden}
        return Bank(self.shipped.exam, kept, self.shipped.root, {qid: files[qid] for qid in kept})

    # ---- admin actions ------------------------------------------------------------------------------------------

    async def import_file(
        self, user: UserRef, target: Target, data: bytes, filename: str, fmt: str | None, task: str | None
    ) -> ImportCard:
        """Validate an uploaded file and, when it has no error, add its questions to this server's bank."""
        _require_admin(user, "add questions to this server's bank")
        try:
            name = formats.format_name(fmt, filename)
        except ValueError as exc:
            raise BankRefused(str(exc)) from None
        if name not in formats.IMPORTERS:
            raise BankRefused(f"`{name}` files can be exported but not imported.")
        if task and self.shipped.resolve_task(task) is None:
            raise BankRefused(f"Unknown task `{task}`. Use an id such as 1.2 or a slug such as 1.2-lambda.")
        taken = set(self.shipped.questions) | await self._repo.server_question_ids(target.workspace_key)
        ctx = ImportContext(
            self.shipped.exam, default_task=task, taken=taken, source=filename, first_number=FIRST_SERVER_NUMBER
        )
        result = formats.import_bytes(data, name, ctx, filename)
        lines = result.lines()
        if not result.ok or not result.questions:
            return ImportCard(file=filename, format=name, ok=False, imported=0, lines=lines)
        import_id, new = await self._repo.add_bank_import(
            target.workspace_key,
            filename,
            name,
            hashlib.sha256(data).hexdigest(),
            user.key,
            self._clock.now(),
            [(q.id, q.model_dump_json()) for q in result.questions],
        )
        self._cache.pop(target.workspace_key, None)
        count = len(result.questions) if new else 0
        return ImportCard(
            file=filename, format=name, ok=True, imported=count, import_id=import_id, repeated=not new, lines=lines
        )

    async def command(self, user: UserRef, target: Target, command: Command) -> BankListCard | ExportCard | NoticeCard:
        """`bank list | use own|shipped|both | disable ID | enable ID | export [format:F]`."""
        action = command.args[0].lower() if command.args else "list"
        value = command.args[1] if len(command.args) > 1 else None
        if action == "list":
            return await self.listing(target)
        _require_admin(user, f"run `bank {action}`")
        match action:
            case "use":
                return await self.use(target, value)
            case "disable" | "enable":
                return await self.toggle(target, value, action == "enable")
            case "export":
                return await self.export(target, command.options.get("format", "yaml"))
            case "import":
                raise BankRefused("Upload the file as an attachment to the bank import command (console: a path).")
        raise CommandError("Use `bank list`, `bank use own|shipped|both`, `bank disable ID`, `bank export`.")

    async def listing(self, target: Target) -> BankListCard:
        """Which bank this server uses and what it uploaded."""
        imports = await self._repo.bank_imports(target.workspace_key)
        return BankListCard(
            mode=await self.mode(target),
            shipped=len(self.shipped.questions),
            own=len(await self.own(target)),
            imports=[
                BankImportLine(
                    id=i.id,
                    name=i.name,
                    format=i.format,
                    questions=i.questions,
                    enabled=i.enabled,
                    imported_at=i.imported_at,
                )
                for i in imports
            ],
            hidden=sorted(await self._repo.hidden_questions(target.workspace_key)),
        )

    async def use(self, target: Target, value: str | None) -> NoticeCard:
        """Choose the bank this server's quizzes pick from."""
        mode = (value or "").lower()
        if mode not in MODES:
            raise CommandError("Type `bank use own`, `bank use shipped` or `bank use both`.")
        if mode == "own" and not await self.own(target):
            raise BankRefused("This server has no questions of its own yet; upload a file with `bank import` first.")
        await self._repo.set_settings(target.workspace_key, {USE_SETTING: mode})
        said = {"own": "its own questions only", "shipped": "the shipped bank only", "both": "both banks"}[mode]
        return NoticeCard(text=f"Quizzes in this server now use {said}.")

    async def toggle(self, target: Target, value: str | None, enabled: bool) -> NoticeCard:
        """Disable (or enable again) one uploaded file's questions."""
        if value is None or not value.isdigit():
            raise CommandError("Give the import's number from `bank list`, e.g. `bank disable 2`.")
        if not await self._repo.set_import_enabled(target.workspace_key, int(value), enabled):
            raise BankRefused(f"This server has no import number {value}; see `bank list`.")
        self._cache.pop(target.workspace_key, None)
        return NoticeCard(text=f"Import {value} is {'enabled' if enabled else 'disabled'}.")

    async def export(self, target: Target, fmt: str) -> ExportCard:
        """This server's own questions as a file."""
        try:
            name = formats.format_name(fmt)
        except ValueError as exc:
            raise BankRefused(str(exc)) from None
        if name not in formats.EXPORTERS:
            raise BankRefused(f"`{name}` is an import format; export to yaml, gift, csv or anki.")
        questions = list((await self.own(target)).values())
        if not questions:
            raise BankRefused("This server has no questions of its own to export.")
        text = formats.export(questions, name, self.shipped.exam)
        filename = f"{target.workspace.replace('/', '-') or 'server'}-bank.{EXPORT_SUFFIX[name]}"
        return ExportCard(filename=filename, text=text, count=len(questions))


def _require_admin(user: UserRef, action: str) -> None:
    if not user.is_admin:
        raise BankRefused(f"Sorry, only an admin can {action}.")
