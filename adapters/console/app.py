"""The console front door: reads command lines from a terminal or a pipe, one service call per line."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TextIO

from adapters.console import render
from bot import commands
from bot.cards import (
    HelpCard,
    LeaderboardCard,
    QuestionCard,
    QuizSummary,
    RevealCard,
    SettingsCard,
    StatsCard,
)
from bot.models import RoundKind, Target, UserRef
from bot.service import AlreadyAnswered, QuizError, QuizService, Reply

PLATFORM = "console"
_ANSWER = re.compile(r"^[a-f](?:[\s,;/+&]*[a-f]){0,5}$", re.IGNORECASE)
_AS = re.compile(r"^as\s+(\S+)\s+(.+)$", re.IGNORECASE | re.DOTALL)


class ConsolePort:
    """ChatPort for the terminal: reveals are printed; there is no posted card to update."""

    platform = PLATFORM

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    async def update_question(self, target: Target, message_ref: str, card: QuestionCard) -> None:
        """A terminal has no card to refresh."""

    async def reveal(self, target: Target, message_refs: Sequence[str], card: RevealCard) -> None:
        """Print the reveal of a question of the day."""
        self._write(f"\n— Question of the day revealed in #{target.channel} —\n{render.reveal(card)}")


class Console:
    """One terminal session: a default member, their channel, and the question each member has waiting."""

    def __init__(self, service: QuizService, user: str, channel: str, out: TextIO | None = None) -> None:
        self._service = service
        self._out = out or sys.stdout
        self.target = Target(platform=PLATFORM, workspace=PLATFORM, channel=channel)
        # The console's own user is admin of their console; members added with `as NAME` are not.
        self.user = UserRef(platform=PLATFORM, user_id=user, name=user, is_admin=True)
        self._waiting: dict[str, QuestionCard] = {}
        self._last_asked: UserRef | None = None
        self.port = ConsolePort(self.write)

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
        try:
            if self._is_answer(text):
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

    async def _answer(self, user: UserRef, text: str) -> None:
        card = self._waiting.get(user.key)
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
        reply = await self._service.execute(user, self.target, command)
        if isinstance(reply, RevealCard) and command.name == "reveal":
            self.write("Revealed.")  # the port has already printed the reveal to the channel
        else:
            self._show(user, reply)

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

    def __init__(self, service: QuizService, user: str, channel: str, stop: asyncio.Event) -> None:
        self.console = Console(service, user, channel)
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
