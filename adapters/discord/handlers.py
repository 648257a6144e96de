"""Thin interaction handlers: decode the interaction, make one QuizService call, render the card it returns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Collection

import discord
from discord import app_commands

from adapters.discord import render
from adapters.discord.byo import ByoHandlers
from adapters.discord.replies import ACK_BUDGET, Reply, invoker, message_ref, target, user_ref
from bot import component_ids
from bot.cards import RevealCard
from bot.commands import Command, stats_request
from bot.models import UserRef
from bot.service import QuizError, QuizService

log = logging.getLogger(__name__)

SHUTTING_DOWN = "quizbot is restarting; please try again in a minute."
FAILED = "Something went wrong on our side; please try again in a moment."
NOT_OURS = "That control is not one of quizbot's answer buttons."
CHOICE_LIMIT = 25  # Discord shows at most 25 autocomplete choices
CHOICE_NAME_LIMIT = 100
# Answers being recorded at once from which a new click is acknowledged (deferred) before the core is called. A lone
# click gets its reply in one call; in a burst (a busy question of the day) each ack goes out at once instead of
# waiting behind the other answers' work on the event loop, and the reply follows as an edit.
BUSY_ANSWERS = 1


class Handlers(ByoHandlers):
    """Every slash command and component click quizbot answers on Discord."""

    def __init__(self, service: QuizService, admin_ids: Collection[str] = (), ack_budget: float = ACK_BUDGET) -> None:
        self.service = service
        self.admin_ids = frozenset(admin_ids)
        self.ack_budget = ack_budget
        self.accepting = True
        self._inflight: set[asyncio.Task[object]] = set()
        self._answering = 0  # answers between decode and the core's verdict (BUSY_ANSWERS)

    # ---- plumbing ----------------------------------------------------------------------------------------------

    async def admit(self, interaction: discord.Interaction) -> bool:
        """Whether to handle an interaction at all: not while shutting down (the member is told politely)."""
        if self.accepting:
            return True
        if interaction.type is not discord.InteractionType.autocomplete and not interaction.response.is_done():
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(SHUTTING_DOWN, ephemeral=True)
        return False

    async def drain(self, grace: float) -> None:
        """Stop taking interactions and give those in flight up to `grace` seconds to finish."""
        self.accepting = False
        running = [t for t in self._inflight if not t.done()]
        if running:
            await asyncio.wait(running, timeout=grace)

    def _reply(self, interaction: discord.Interaction, *, ephemeral: bool, update: bool = False) -> Reply:
        return Reply(interaction, ephemeral=ephemeral, update=update, budget=self.ack_budget)

    @contextlib.asynccontextmanager
    async def _guard(self, reply: Reply) -> AsyncIterator[None]:
        """Turn the core's refusals into one polite private sentence; log anything unexpected."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        except QuizError as exc:
            await self._refuse(reply, str(exc))
        except Exception:
            log.exception("handling interaction %s failed", reply.interaction.id)
            await self._refuse(reply, FAILED)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _refuse(self, reply: Reply, sentence: str) -> None:
        try:
            await reply.refuse(sentence)
        except discord.HTTPException as exc:
            log.warning("could not answer interaction %s: %s", reply.interaction.id, exc)

    # ---- slash commands ----------------------------------------------------------------------------------------

    async def help(self, interaction: discord.Interaction) -> None:
        """/help."""
        reply = self._reply(interaction, ephemeral=True)
        async with self._guard(reply):
            await reply.send(render.help_message(self.service.help()))

    async def qotd(self, interaction: discord.Interaction) -> None:
        """/qotd: post today's card publicly (and remember it); answered or revealed, show it privately."""
        reply = self._reply(interaction, ephemeral=False)
        async with self._guard(reply):
            card = await reply.call(self.service.qotd(self._user(interaction), target(interaction)))
            if isinstance(card, RevealCard):
                await reply.send(render.reveal(card), ephemeral=True)
            elif card.your_choice is not None or not card.is_open:
                await reply.send(render.answered(card), ephemeral=True)
            else:
                message_id = await reply.send(render.question(card))
                if message_id is None:
                    log.warning("Discord did not return the id of the card of round %s", card.round_id)
                else:
                    await self.service.attach_message(
                        card.round_id, message_ref(interaction.channel_id or 0, message_id)
                    )

    async def quiz(
        self, interaction: discord.Interaction, count: int | None, domain: str | None, task: str | None
    ) -> None:
        """/quiz: a private quiz, one question at a time."""
        reply = self._reply(interaction, ephemeral=True)
        options = {k: str(v) for k, v in (("count", count), ("domain", domain), ("task", task)) if v is not None}
        async with self._guard(reply):
            card = await reply.call(
                self.service.execute(self._user(interaction), target(interaction), Command("quiz", [], options))
            )
            await reply.send(render.card(card))

    async def stop(self, interaction: discord.Interaction) -> None:
        """/stop: end the running quiz and show its summary."""
        reply = self._reply(interaction, ephemeral=True)
        async with self._guard(reply):
            summary = await reply.call(self.service.stop_quiz(self._user(interaction)))
            await reply.send(render.summary(summary))

    async def stats(
        self,
        interaction: discord.Interaction,
        member: discord.Member | discord.User | None,
        group: bool = False,
        scope: str = "channel",
        chart: str | None = None,
    ) -> None:
        """/stats [member] [group] [scope] [chart]: progress privately, as text or a PNG attachment."""
        reply = self._reply(interaction, ephemeral=True)
        async with self._guard(reply):
            options = {"scope": scope, **({"chart": chart} if chart else {})}
            request = stats_request(Command("stats", ["group"] if group else [], options))
            who = user_ref(member) if member is not None else None
            card = await reply.call(
                self.service.stats_command(self._user(interaction), target(interaction), request, member=who)
            )
            await reply.send(render.card(card))

    async def leaderboard(
        self, interaction: discord.Interaction, scope: str = "channel", period: str = "all", page: int = 1
    ) -> None:
        """/leaderboard [scope] [period] [page]: a board for everyone to see (options re-checked by the core)."""
        reply = self._reply(interaction, ephemeral=False)
        async with self._guard(reply):
            command = Command("leaderboard", options={"scope": scope, "period": period, "page": str(page)})
            card = await reply.call(self.service.execute(self._user(interaction), target(interaction), command))
            await reply.send(render.card(card))

    async def reveal(self, interaction: discord.Interaction) -> None:
        """/quizadmin reveal: the core checks the admin flag; the port edits the posted cards."""
        reply = self._reply(interaction, ephemeral=True)
        async with self._guard(reply):
            card = await reply.call(self.service.reveal_now(self._user(interaction), target(interaction)))
            await reply.send(render.notice(f"Revealed: the answer is {', '.join(card.key.upper())}."))

    async def settings(self, interaction: discord.Interaction, timezone: str | None, reveal: str | None) -> None:
        """/quizadmin settings: show, or (admins) change, this channel's timezone and reveal time."""
        reply = self._reply(interaction, ephemeral=True)
        options = {k: v for k, v in (("timezone", timezone), ("reveal", reveal)) if v is not None}
        async with self._guard(reply):
            card = await reply.call(
                self.service.execute(self._user(interaction), target(interaction), Command("settings", [], options))
            )
            await reply.send(render.card(card))

    async def schedule(self, interaction: discord.Interaction, args: list[str], options: dict[str, str]) -> None:
        """/quizadmin schedule …: the core checks the admin flag and every value; the answer is private."""
        reply = self._reply(interaction, ephemeral=True)
        async with self._guard(reply):
            command = Command("schedule", args, options)
            card = await reply.call(self.service.execute(self._user(interaction), target(interaction), command))
            await reply.send(render.card(card))

    def task_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Task statements matching what was typed (and the chosen domain), for /quiz task: autocomplete."""
        domain = getattr(interaction.namespace, "domain", None)
        typed = current.strip().lower()
        choices = []
        for task in self.service.bank.exam.tasks:
            if domain and task.domain_id != domain:
                continue
            if typed and typed not in f"{task.id} {task.slug} {task.name}".lower():
                continue
            choices.append(
                app_commands.Choice(name=render.cut(f"{task.id} {task.name}", CHOICE_NAME_LIMIT), value=task.id)
            )
        return choices[:CHOICE_LIMIT]

    # ---- components --------------------------------------------------------------------------------------------

    async def answer_clicked(self, interaction: discord.Interaction, custom_id: str, letters: str) -> None:
        """An answer: acknowledged privately on a public card; on a private quiz card, feedback replaces it."""
        message = interaction.message
        on_quiz_card = message is not None and message.flags.ephemeral
        reply = self._reply(interaction, ephemeral=True, update=on_quiz_card)
        async with self._guard(reply):
            decoded = component_ids.decode(custom_id)
            if decoded is None:
                raise QuizError(NOT_OURS)
            if self._answering >= BUSY_ANSWERS:
                await reply.defer()
            self._answering += 1
            try:
                result = await reply.call(
                    self.service.answer(
                        self._user(interaction), target(interaction), decoded.round_id, decoded.question_no, letters
                    )
                )
            finally:
                self._answering -= 1
            if result.feedback is None:
                if result.next_card is not None:  # a duel: the next private question replaces the answered one
                    await reply.replace(render.question(result.next_card.model_copy(update={"note": result.message})))
                elif on_quiz_card:
                    await reply.replace(render.notice(result.message))
                else:
                    await reply.send(render.notice(result.message))
                return
            if on_quiz_card:
                await reply.replace(render.feedback(result))
            else:
                await reply.send(render.feedback(result))
            if result.next_card is not None:
                await reply.follow(render.question(result.next_card))
            if result.summary is not None:
                await reply.follow(render.summary(result.summary))

    async def stop_clicked(self, interaction: discord.Interaction) -> None:
        """The Stop button: the question it sat under becomes the quiz summary."""
        reply = self._reply(interaction, ephemeral=True, update=True)
        async with self._guard(reply):
            summary = await reply.call(self.service.stop_quiz(self._user(interaction)))
            await reply.replace(render.summary(summary))

    def _user(self, interaction: discord.Interaction) -> UserRef:
        return invoker(interaction, self.admin_ids)
