"""The console front door: reads command lines from a terminal or a pipe, one service call per line."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from adapters.console import bank_render, play_render, render
from adapters.console import exam as exam_render
from adapters.console.progress_render import save_chart
from bot import commands
from bot.bank_cards import BankListCard, ExportCard, ImportCard, NoticeCard, ReportsCard
from bot.cards import (
    ChartCard,
    HelpCard,
    LeaderboardCard,
    QuestionCard,
    QuizSummary,
    RevealCard,
    ScheduleCard,
    SettingsCard,
    StatsCard,
)
from bot.exam import ANSWER, ExamHistoryCard, ExamQuestionCard, ExamReport, ExamReviewCard
from bot.formats.common import MAX_BYTES
from bot.models import RoundKind, Target, UserRef
from bot.play_cards import DuelCard, PlayReply, RatingsCard, RoundCard, StandingsCard
from bot.service import AlreadyAnswered, QuizError, QuizService, Reply

PLATFORM = "console"
MAX_UPLOAD = MAX_BYTES
_ANSWER = re.compile(r"^[a-f](?:[\s,;/+&]*[a-f]){0,5}$", re.IGNORECASE)
_AS = re.compile(r"^as\s+(\S+)\s+(.+)$", re.IGNORECASE | re.DOTALL)


class ConsolePort:
    """ChatPort for the terminal: reveals are printed; there is no posted card to update."""

    platform = PLATFORM

    def __init__(
        self,
        write: Callable[[str], None],
        exam_ended: Callable[[int], None] | None = None,
        round_posted: Callable[[QuestionCard | None], None] | None = None,
        charts_dir: Path | None = None,
    ) -> None:
        self._write = write
        self._charts_dir = charts_dir or Path("quizbot-charts")
        self._exam_ended = exam_ended
        self._round_posted = round_posted  # the console answers a round's question with bare letters

    async def update_question(self, target: Target, message_ref: str, card: QuestionCard) -> None:
        """A terminal has no card to refresh."""

    async def reveal(self, target: Target, message_refs: Sequence[str], card: RevealCard) -> None:
        """Print the reveal of a question of the day (or of one drill question)."""
        self._write(f"\n— {render.kind_name(card.kind)} revealed in #{target.channel} —\n{render.reveal(card)}")

    async def post_question(self, target: Target, card: QuestionCard, slot: str, mention: str | None = None) -> str:
        """Print a scheduled card; members answer it with `qotd` (or `answer` for a drill) and its letters."""
        if card.kind is RoundKind.GROUP:
            if self._round_posted is not None:
                self._round_posted(card)
            self._write(play_render.round_question(target.channel, card))
            return f"console:{slot}"
        self._write(render.posted(target.channel, card, slot, mention))
        return f"console:{slot}"

    async def find_post(self, target: Target, slot: str) -> str | None:
        """A terminal cannot look back: a card that may have been printed counts as printed (never twice)."""
        return f"console:{slot}"

    async def post_notice(self, target: Target, text: str) -> None:
        """Print a notice for the channel's admins."""
        self._write(f"\n— #{target.channel} — {text}")

    async def post_chart(self, target: Target, chart: ChartCard) -> None:
        """Save a posted chart (a terminal shows no images) and print where it is."""
        path = save_chart(chart, self._charts_dir)
        self._write(f"\n— #{target.channel} — {chart.caption}\nChart saved to {path}")

    async def show_play(self, target: Target, message_refs: Sequence[str], card: DuelCard | RoundCard) -> None:
        """Print a duel's or round's new state (accepted, expired, started …)."""
        text = play_render.duel_card(card) if isinstance(card, DuelCard) else play_render.round_card(card)
        if isinstance(card, RoundCard) and card.phase == "finished" and self._round_posted is not None:
            self._round_posted(None)  # no round question is on screen any more
        self._write(f"\n— #{target.channel} — {text}")

    async def post_play(self, target: Target, card: DuelCard | StandingsCard) -> None:
        """Print a duel's result or a round's final standings."""
        text = play_render.duel_result(card) if isinstance(card, DuelCard) else play_render.standings(card)
        self._write(f"\n— #{target.channel} — {text}")

    async def show_exam(self, target: Target, message_ref: str | None, report: ExamReport) -> None:
        """Print the report of an exam that submitted itself at its deadline."""
        if self._exam_ended is not None:
            self._exam_ended(report.round_id)
        self._write(f"\n{exam_render.report(report)}")


class Console:
    """One terminal session: a default member, their channel, and the question each member has waiting."""

    def __init__(
        self, service: QuizService, user: str, channel: str, out: TextIO | None = None, charts_dir: Path | None = None
    ) -> None:
        self._service = service
        self.charts_dir = charts_dir or Path("quizbot-charts")
        self._out = out or sys.stdout
        self.target = Target(platform=PLATFORM, workspace=PLATFORM, channel=channel)
        # The console's own user is admin of their console; members added with `as NAME` are not.
        self.user = UserRef(platform=PLATFORM, user_id=user, name=user, is_admin=True)
        self._waiting: dict[str, QuestionCard] = {}
        self._last_asked: UserRef | None = None
        # Members with an exam on screen (user key -> round id): their letters and exam words go to the exam.
        self._exams: dict[str, int] = {}
        self._confirming: set[str] = set()
        self._last_exam: UserRef | None = None
        self._round_card: QuestionCard | None = None  # the channel's group-round question on screen
        self.port = ConsolePort(self.write, self._exam_ended, self._round_posted, self.charts_dir)

    def write(self, text: str) -> None:
        """Print one block of output."""
        self._out.write(text.rstrip("\n") + "\n")
        self._out.flush()

    async def run(self, lines: asyncio.Queue[str | None], interactive: bool) -> None:
        """Handle lines until end of input."""
        if interactive:
            self.write(
                f"quizbot console · you are {self.user.name} in #{self.target.channel}. Type `help`, `qotd` or `quiz`."
            )
        while (line := await lines.get()) is not None:
            await self.handle(line)
            if interactive:
                self._out.write("> ")
                self._out.flush()

    async def handle(self, line: str) -> None:
        """Handle one line: an answer to a waiting question, or a command."""
        text = line.strip()
        if not text or text.startswith("#"):
            return
        user = self._last_asked or self.user
        explicit = _AS.match(text)
        if explicit:
            name, text = explicit.group(1), explicit.group(2).strip()
            user = self.user if name == self.user.name else UserRef(platform=PLATFORM, user_id=name, name=name)
        examinee = user if explicit else (self._last_exam or self.user)
        try:
            if examinee.key in self._exams and self._is_exam_line(text):
                await self._exam(examinee, text)
            elif self._is_answer(text):
                await self._answer(user if explicit else (self._last_asked or self.user), text)
            else:
                await self._command(user if explicit else self.user, text)
        except QuizError as exc:
            self.write(str(exc))
            waiting = self._waiting.get((user if explicit else (self._last_asked or self.user)).key)
            if waiting is not None and self._is_answer(text):
                self.write(render.question(waiting))

    @staticmethod
    def _is_answer(text: str) -> bool:
        word = text.lower()
        return bool(_ANSWER.match(text)) and word not in commands.COMMANDS and word not in commands.ALIASES

    def _is_exam_line(self, text: str) -> bool:
        return self._is_answer(text) or text.split()[0].lower() in exam_render.WORDS

    async def _exam(self, user: UserRef, text: str) -> None:
        """A line typed during an exam: letters answer the current question, words navigate (`exam <word>`)."""
        if self._is_answer(text):
            reply: Reply = await self._service.exam_action(user, self.target, None, ANSWER, None, text)
        elif text.split()[0].lower() == "submit" and user.key in self._confirming:
            reply = await self._service.run(user, self.target, "exam submit now")
        else:
            reply = await self._service.run(user, self.target, f"exam {text}")
        self._show(user, reply)

    def _exam_ended(self, round_id: int) -> None:
        for key in [k for k, v in self._exams.items() if v == round_id]:
            del self._exams[key]
            self._confirming.discard(key)

    def _round_posted(self, card: QuestionCard | None) -> None:
        self._round_card = card

    async def _answer(self, user: UserRef, text: str) -> None:
        card = self._waiting.get(user.key)
        if card is None and self._round_card is not None:
            # A group round's question is the channel's: whoever types letters answers it (bot.group_rounds).
            result = await self._service.answer(
                user, self.target, self._round_card.round_id, self._round_card.question_no, text
            )
            self.write(f"{user.name}: {render.answer(result)}")
            return
        if card is None:
            raise QuizError("No question is waiting for you; type `qotd` or `quiz` to get one.")
        try:
            result = await self._service.answer(user, self.target, card.round_id, card.question_no, text)
        except AlreadyAnswered:
            del self._waiting[user.key]
            raise
        del self._waiting[user.key]
        self.write(render.answer(result))
        if result.next_card is not None:
            self._ask(user, result.next_card)
        if result.summary is not None:
            self.write(render.summary(result.summary))

    async def _command(self, user: UserRef, text: str) -> None:
        try:
            command = commands.parse(text)
        except commands.CommandError as exc:
            raise QuizError(str(exc)) from None
        waiting = self._waiting.pop(user.key, None)
        if waiting is not None and waiting.kind is RoundKind.QUIZ and command.name != "stop":
            # A new command abandons the quiz in progress, so the member sees how it went before moving on.
            self.write(render.summary(await self._service.stop_quiz(user)))
        if command.name == "bank" and [a.lower() for a in command.args[:1]] == ["import"]:
            reply: Reply = await self._import_bank(user, command)
        else:
            reply = await self._service.execute(user, self.target, command)
        if isinstance(reply, RevealCard) and command.name == "reveal":
            self.write("Revealed.")  # the port has already printed the reveal to the channel
        else:
            self._show(user, reply)

    async def _import_bank(self, user: UserRef, command: commands.Command) -> ImportCard:
        """`bank import PATH format:F [task:T]`: the console reads a local file; chat front doors take uploads."""
        if len(command.args) < 2:
            raise QuizError("Type `bank import PATH format:gift|moodle|csv|markdown|opentdb|yaml [task:1.2]`.")
        try:
            name, data = await asyncio.to_thread(_read_upload, command.args[1])
        except OSError as exc:
            raise QuizError(f"Cannot read {command.args[1]}: {exc.strerror or exc}.") from None
        return await self._service.import_bank(
            user, self.target, data, name, command.options.get("format"), command.options.get("task")
        )

    def _ask(self, user: UserRef, card: QuestionCard) -> None:
        self._waiting[user.key] = card
        self._last_asked = user
        self.write(render.question(card))

    def _show(self, user: UserRef, reply: Reply) -> None:
        match reply:
            case QuestionCard() if reply.your_choice is None and reply.is_open:
                self._ask(user, reply)
            case QuestionCard():
                self.write(render.question(reply))
            case RevealCard():
                self.write(render.reveal(reply))
            case QuizSummary():
                self.write(render.summary(reply))
            case StatsCard():
                self.write(render.stats(reply))
            case LeaderboardCard():
                self.write(render.leaderboard(reply))
            case HelpCard():
                self.write(render.help_text(reply))
            case SettingsCard():
                self.write(render.settings(reply))
            case NoticeCard() | ImportCard() | BankListCard() | ExportCard() | ReportsCard():
                self.write(bank_render.render(reply))
            case ScheduleCard():
                self.write(render.schedules(reply))
            case ChartCard():
                self.write(f"{reply.caption}\nChart saved to {save_chart(reply, self.charts_dir)}")
            case ExamQuestionCard() | ExamReviewCard():
                self._exams[user.key] = reply.round_id
                self._last_exam = user
                confirming = isinstance(reply, ExamReviewCard) and reply.confirming
                (self._confirming.add if confirming else self._confirming.discard)(user.key)
                self.write(
                    exam_render.question(reply) if isinstance(reply, ExamQuestionCard) else exam_render.review(reply)
                )
            case ExamReport():
                self._exam_ended(reply.round_id)
                self.write(exam_render.report(reply))
            case ExamHistoryCard():
                self.write(exam_render.history(reply))
            case DuelCard():
                self.write(play_render.duel_card(reply))
            case RoundCard():
                self.write(play_render.round_card(reply))
            case RatingsCard():
                self.write(play_render.ratings(reply))
            case PlayReply():
                if reply.question is not None:
                    self.write(f"{user.name}: {reply.message}")
                    self._ask(user, reply.question)
                else:
                    self.write(reply.message)


def _read_upload(text: str) -> tuple[str, bytes]:
    path = Path(text).expanduser()
    with path.open("rb") as file:
        return path.name, file.read(MAX_UPLOAD + 1)  # one byte over the limit is enough for the core to refuse


def stdin_lines(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Lines of standard input on a queue (None at EOF); a daemon thread reads, so Ctrl-C never waits on it."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="stdin", daemon=True).start()
    return queue


class ConsoleDoor:
    """The console as a front door: serves standard input until it ends or the bot is stopped."""

    def __init__(
        self, service: QuizService, user: str, channel: str, stop: asyncio.Event, charts_dir: Path | None = None
    ) -> None:
        self.console = Console(service, user, channel, charts_dir=charts_dir)
        self.port = self.console.port

    async def serve(self, stop: asyncio.Event) -> None:
        """Read lines until EOF or `stop`."""
        loop = asyncio.get_running_loop()
        session = asyncio.create_task(self.console.run(stdin_lines(loop), sys.stdin.isatty()))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({session, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not session.done():
            session.cancel()
        elif not session.cancelled():
            session.result()
