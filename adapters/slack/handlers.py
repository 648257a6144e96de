"""Bolt listeners: `/quiz`, answer buttons and checkboxes, the App Home tab. Each acks first, then does the work.

Every listener catches what goes wrong after `ack()`: a listener that raises within Bolt's 10 ms ack poll would
erase its own ack and turn into a 404 after 3 s (slack-bolt 1.30), and a member deserves a sentence, not silence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import blocks
from adapters.slack.acks import AckFirst
from adapters.slack.blocks import Message
from adapters.slack.byo import ByoSlack, is_bank_import
from adapters.slack.byo import render as byo_render
from adapters.slack.chat import message_ref
from adapters.slack.exam import SlackExams, history_message, runs_in_dm
from adapters.slack.members import Members, target
from adapters.slack.play import PLAY_ACTION, SlackPlay
from adapters.slack.progress_files import upload_chart
from bot import commands, component_ids
from bot.bank_cards import BankListCard, ExportCard, ImportCard, NoticeCard, ReportsCard
from bot.cards import (
    ChartCard,
    HelpCard,
    LeaderboardCard,
    Outcome,
    QuestionCard,
    QuizSummary,
    RevealCard,
    ScheduleCard,
    SettingsCard,
    StatsCard,
)
from bot.exam import ExamHistoryCard
from bot.models import RoundKind, Target
from bot.service import QuizError, QuizService, Reply

log = logging.getLogger(__name__)

COMMAND = "/quiz"
RANK_DEPTH = 100  # the Home tab looks for the member's rank among this many members of the workspace
SORRY = "Sorry, something went wrong on my side; please try again in a moment."
NOT_OURS = "That button is not one of mine (or it was changed on the way); use `/quiz` to get a fresh question."
CANNOT_POST = (
    "I can't post in this channel, so here is the question just for you. "
    "To share it with the channel, invite me with `/invite @quizbot`."
)
# Posting fails with these when the bot is not a member of a private channel or the conversation is a DM of others.
_NOT_POSTABLE = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
_HOME_VALUE = re.compile(r"^(?:quiz(?: (?:quick|\d{1,2}))?(?: domain:\w{1,20})?|review)$")
_QUIZ_SHORTHAND = re.compile(r"^(?:\d+|quick|[A-Za-z][\w-]*[:=].*)$", re.IGNORECASE)

Say = Callable[[Message], Awaitable[None]]


def command_line(text: str) -> str:
    """The core command for the text after `/quiz`: empty is `help`, a bare count or options start a quiz."""
    line = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    if not line:
        return "help"
    first = line.split(maxsplit=1)[0]
    return f"quiz {line}" if _QUIZ_SHORTHAND.match(first) else line


def picked_letters(body: dict[str, Any]) -> str:
    """The letters ticked in a card's checkboxes, from the interaction's state (untrusted: the core checks them)."""
    values = ((body.get("state") or {}).get("values")) or {}
    picked: list[str] = []
    for actions in values.values():
        state = (actions or {}).get(blocks.PICK_ACTION)
        if state:
            picked += [str(o.get("value", "")) for o in state.get("selected_options") or []]
    return "".join(picked)


class SlackHandlers:
    """The listeners, bound to one QuizService."""

    def __init__(self, service: QuizService, members: Members) -> None:
        self.service = service
        self.members = members
        self.exams = SlackExams(service, members)
        self.play = SlackPlay(service, members)  # duels, group rounds, ratings (adapters.slack.play)
        self.byo = ByoSlack(service, members)  # Report button and modals, bank upload modal (adapters.slack.byo)

    def register(self, app: AckFirst) -> None:
        """Attach every listener to the Bolt app (regex actions keep old buttons working after a restart)."""
        app.command(COMMAND)(self.on_command)
        app.action(re.compile(rf"^{component_ids.PREFIX}:"))(self.on_answer)
        app.action(blocks.PICK_ACTION)(self.on_pick)
        self.exams.register(app)
        app.action(PLAY_ACTION)(self.play.on_click)
        self.byo.register(app)
        app.action(re.compile(rf"^{blocks.HOME_ACTION_PREFIX}_"))(self.on_home_start)
        app.event("app_home_opened")(self.on_home_opened)

    # ---- /quiz -------------------------------------------------------------------------------------------------

    async def on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """`/quiz …`: one service call with the typed text, then the card, privately unless it is the QOTD."""
        await ack()
        say = Replies(respond, client, command.get("channel_id"), command["user_id"]).new()
        await _guard(self._command(command, client, say), say)

    async def _command(self, command: dict[str, Any], client: AsyncWebClient, say: Say) -> None:
        team, channel = command["team_id"], command["channel_id"]
        user = await self.members.user(client, team, command["user_id"], command.get("user_name", ""))
        where = target(team, channel)
        line = command_line(command.get("text") or "")
        if runs_in_dm(line):  # a practice exam outlives a response_url: it runs in the app's DM (adapters.slack.exam)
            await say(blocks.notice(await self.exams.run_in_dm(client, user, team, command["user_id"], line)))
            return
        if is_bank_import(line) and command.get("trigger_id"):  # a file comes through a modal's file input
            await self.byo.open_upload(client, command["trigger_id"], team, channel)
            return
        reply = await self.play.challenge(client, team, user, where, line) or await self.service.run(user, where, line)
        if await self.play.show(reply, where, client, say):
            return
        if isinstance(reply, RevealCard) and commands.parse(line).name == "reveal":
            await say(blocks.notice("Revealed the question of the day in this channel."))
            return
        if isinstance(reply, QuestionCard) and reply.kind is RoundKind.QOTD and reply.is_open and not reply.your_choice:
            await self._post_question_of_the_day(reply, where, client, say)
            return
        if isinstance(reply, ChartCard):
            await say(blocks.notice(await upload_chart(client, command["user_id"], reply)))
            return
        await say(render(reply))

    async def _post_question_of_the_day(
        self, card: QuestionCard, where: Target, client: AsyncWebClient, say: Say
    ) -> None:
        message = blocks.question_message(card)
        if await self.service.repository.message_refs(card.round_id):
            await say(message)  # already in the channel: a private copy instead of the same card again
            return
        try:
            posted = await client.chat_postMessage(channel=where.channel, **message.kwargs())
        except SlackApiError as exc:
            if exc.response.get("error") not in _NOT_POSTABLE:
                raise
            await say(blocks.with_note(message, CANNOT_POST))
            return
        await self.service.attach_message(card.round_id, message_ref(posted["channel"], posted["ts"]))

    # ---- answers -----------------------------------------------------------------------------------------------

    async def on_pick(self, ack: AsyncAck) -> None:
        """A checkbox was ticked: nothing to do until Submit (Slack still wants the ack)."""
        await ack()

    async def on_answer(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """An answer button or Submit: checked and recorded by the core; the reply is as private as the card."""
        await ack()
        ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
        channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
        replies = Replies(respond, client, channel, body["user"]["id"])
        await _guard(self._answer(body, action, client, replies, channel, ephemeral), replies.new())

    async def _answer(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        replies: Replies,
        channel: str | None,
        ephemeral: bool,
    ) -> None:
        decoded = component_ids.decode(str(action.get("value") or ""))
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id")
        if decoded is None or not channel or not team:
            await replies.new()(blocks.notice(NOT_OURS))
            return
        choice = decoded.choice or picked_letters(body)
        user = await self.members.user(client, team, body["user"]["id"], body["user"].get("name", ""))
        result = await self.service.answer(user, target(team, channel), decoded.round_id, decoded.question_no, choice)
        if result.outcome is Outcome.RECORDED and result.next_card is not None:
            # A duel: the next private question replaces the answered one, with the acknowledgement above it.
            following = result.next_card.model_copy(update={"note": result.message})
            await replies.replace()(blocks.question_message(following))
            return
        if result.outcome is Outcome.RECORDED:
            # An ephemeral copy of the card is replaced by the acknowledgement, so its buttons go away.
            await (replies.replace() if ephemeral else replies.new())(blocks.notice(result.message))
            return
        # What follows is as visible as the card was: ephemeral in a channel, a normal message in the app's DM.
        visibility = "ephemeral" if ephemeral else "in_channel"
        await replies.replace(visibility)(blocks.feedback_message(result))
        if result.next_card is not None:
            await replies.new(visibility)(blocks.question_message(result.next_card))
        if result.summary is not None:
            await replies.new(visibility)(blocks.summary_message(result.summary))

    # ---- App Home ----------------------------------------------------------------------------------------------

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        """Publish the member's Home tab: accuracy by domain and task, rank, buttons to start a quiz."""
        if event.get("tab") != "home":
            return
        try:
            await self._publish_home(str(body.get("team_id") or ""), event["user"], event.get("channel", ""), client)
        except Exception:
            log.exception("publishing the Home tab of %s failed", event.get("user"))

    async def _publish_home(self, team: str, user_id: str, channel: str, client: AsyncWebClient) -> None:
        user = await self.members.user(client, team, user_id)
        stats = await self.service.stats(user)
        board = await self.service.leaderboard(target(team, channel), limit=RANK_DEPTH, workspace=True)
        rank = next((line for line in board.lines if line.user_key == user.key), None)
        await client.views_publish(user_id=user_id, view=blocks.home_view(stats, rank))

    async def on_home_start(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A Home-tab button: the quiz starts in the app's DM (Home has no channel to be private in)."""
        await ack()
        user_id = body["user"]["id"]

        async def say(message: Message) -> None:
            dm = await client.conversations_open(users=user_id)
            await client.chat_postMessage(channel=dm["channel"]["id"], **message.kwargs())

        await _guard(self._home_start(body, action, client), say)

    async def _home_start(self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        user_id = body["user"]["id"]
        dm = (await client.conversations_open(users=user_id))["channel"]["id"]
        value = str(action.get("value") or "")
        if not _HOME_VALUE.match(value):
            await client.chat_postMessage(channel=dm, **blocks.notice(NOT_OURS).kwargs())
            return
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id")
        user = await self.members.user(client, team, user_id, body["user"].get("name", ""))
        reply = await self.service.run(user, target(team, dm), value)
        await client.chat_postMessage(channel=dm, **render(reply).kwargs())


def render(reply: Reply) -> Message:
    """The Block Kit message for any card the service returns."""
    match reply:
        case QuestionCard():
            return blocks.question_message(reply)
        case RevealCard():
            return blocks.reveal_message(reply)
        case QuizSummary():
            return blocks.summary_message(reply)
        case StatsCard():
            return blocks.stats_message(reply)
        case LeaderboardCard():
            return blocks.leaderboard_message(reply)
        case HelpCard():
            return blocks.help_message(reply)
        case SettingsCard():
            return blocks.settings_message(reply)
        case ScheduleCard():
            return blocks.schedules_message(reply)
        case ChartCard():
            return blocks.notice(reply.caption)
        case ExamHistoryCard():
            return history_message(reply)
        case NoticeCard() | ImportCard() | BankListCard() | ExportCard() | ReportsCard():
            return byo_render(reply)
    raise TypeError(f"no Slack rendering for {type(reply).__name__}")  # pragma: no cover - Reply is a closed union


class Replies:
    """How one request answers its member: through the response_url, or the Web API when that is gone.

    A response_url lasts 30 minutes and 5 uses; when it fails, ephemeral replies go by chat.postEphemeral and
    visible ones by chat.postMessage, so a member is never left without an answer.
    """

    def __init__(self, respond: AsyncRespond, client: AsyncWebClient, channel: str | None, user: str) -> None:
        self._respond = respond
        self._client = client
        self._channel = channel
        self._user = user

    def new(self, response_type: str = "ephemeral") -> Say:
        """A new message, `ephemeral` (only the member sees it) or `in_channel`."""

        async def say(message: Message) -> None:
            if not await self._via_url(message, response_type=response_type, replace_original=False):
                await self._direct(message, response_type)

        return say

    def replace(self, fallback_type: str = "ephemeral") -> Say:
        """Replace the message whose button was clicked (or post anew if that is no longer possible)."""

        async def say(message: Message) -> None:
            if not await self._via_url(message, replace_original=True):
                await self._direct(message, fallback_type)

        return say

    async def _via_url(self, message: Message, **options: Any) -> bool:
        url = self._respond.response_url
        if not url:  # a request without a response_url (App Home)
            return False
        # Bolt's `respond` opens a connection per call; this posts the same body over the pooled session.
        respond = self._respond
        webhook = AsyncWebhookClient(url, session=self._client.session, proxy=respond.proxy, ssl=respond.ssl)
        response = await webhook.send_dict({**message.kwargs(), **options})
        if response.status_code == 200:
            return True
        log.warning("response_url answered %s (%s); replying through the Web API", response.status_code, response.body)
        return False

    async def _direct(self, message: Message, response_type: str) -> None:
        if not self._channel:
            raise RuntimeError("no response_url and no channel to reply in")
        if response_type == "in_channel":
            await self._client.chat_postMessage(channel=self._channel, **message.kwargs())
        else:
            await self._client.chat_postEphemeral(channel=self._channel, user=self._user, **message.kwargs())


async def _guard(work: Coroutine[Any, Any, None], say: Say) -> None:
    """Run the work after an ack: a refusal becomes its polite sentence, anything else is logged and apologised for."""
    try:
        await work
    except QuizError as exc:
        await _quietly(say, blocks.notice(str(exc)))
    except Exception:
        log.exception("a Slack request failed after its ack")
        await _quietly(say, blocks.notice(SORRY))


async def _quietly(say: Say, message: Message) -> None:
    try:
        await say(message)
    except Exception:
        log.exception("could not tell the member what happened")
