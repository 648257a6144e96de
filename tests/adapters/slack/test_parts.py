"""The Slack front door's parts on their own: settings, manifest, OAuth stores, members, command text, ChatPort."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from ruamel.yaml import YAML
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import BOT_SCOPES, EVENTS_PATH, REDIRECT_PATH, SlackConfig, SlackConfigError
from adapters.slack.chat import SlackChat, parse_ref
from adapters.slack.handlers import command_line, picked_letters
from adapters.slack.installation_store import RepositoryInstallationStore, SignedStateStore, workspace_key
from adapters.slack.members import Members
from bot.cards import OptionReveal, RevealCard
from bot.models import RoundKind, Target
from bot.settings import Settings
from bot.storage.sqlite import SqliteRepository
from tests.adapters.slack.conftest import ALICE, CHANNEL, ROOT, TEAM
from tests.adapters.slack.fake_slack import FakeSlack

MANIFEST = Path(__file__).parents[3] / "deploy" / "slack-manifest.yaml"


# ---- settings -----------------------------------------------------------------------------------------------------


def test_settings_become_a_config_without_showing_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIZBOT_SLACK_ADMIN_IDS", "U1, U2")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=SecretStr("xoxb-secret"),
        slack_signing_secret=SecretStr("sign-secret"),
        admin_ids=["slack:U3", "discord:42"],
    )
    config = SlackConfig.from_settings(settings)
    assert (config.bot_token, config.signing_secret, config.port) == ("xoxb-secret", "sign-secret", 3000)
    assert config.admin_ids == {"U1", "U2", "slack:U3", "discord:42"}
    assert "secret" not in repr(config)
    assert (config.oauth, config.socket_mode, config.serves_http) == (False, False, True)
    config.check()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (SlackConfig(signing_secret="s"), "QUIZBOT_SLACK_BOT_TOKEN"),
        (SlackConfig(bot_token="xoxb-1"), "QUIZBOT_SLACK_SIGNING_SECRET"),
        (SlackConfig(client_id="1.2", signing_secret="s"), "QUIZBOT_SLACK_CLIENT_SECRET"),
    ],
)
def test_settings_that_cannot_work_are_refused_with_the_variable_to_set(config: SlackConfig, message: str) -> None:
    with pytest.raises(SlackConfigError, match=message):
        config.check()


def test_socket_mode_needs_no_signing_secret_and_oauth_serves_http_too() -> None:
    SlackConfig(bot_token="xoxb-1", app_token="xapp-1").check()
    socket_only = SlackConfig(bot_token="xoxb-1", app_token="xapp-1")
    assert (socket_only.socket_mode, socket_only.serves_http) == (True, False)
    oauth = SlackConfig(client_id="1.2", client_secret="c", app_token="xapp-1")
    assert (oauth.oauth, oauth.serves_http) == (True, True)


# ---- manifest -----------------------------------------------------------------------------------------------------


def test_the_manifest_asks_for_exactly_the_scopes_events_and_urls_the_app_uses() -> None:
    manifest: dict[str, Any] = YAML(typ="safe").load(MANIFEST.read_text(encoding="utf-8"))
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert "user" not in manifest["oauth_config"]["scopes"]
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/quiz" and command["should_escape"] is True
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened", "app_uninstalled", "tokens_revoked"]
    assert settings["interactivity"]["is_enabled"] is True
    urls = [command["url"], settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert all(url.endswith(REDIRECT_PATH) for url in manifest["oauth_config"]["redirect_urls"])
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


# ---- OAuth stores -------------------------------------------------------------------------------------------------


async def test_signed_states_are_accepted_until_they_expire_and_never_when_forged() -> None:
    now = [1_800_000_000.0]
    store = SignedStateStore("secret", expiration_seconds=600, clock=lambda: now[0])
    state = await store.async_issue()
    assert await store.async_consume(state)
    assert not await store.async_consume(state[:-1] + ("A" if state[-1] != "A" else "B"))
    assert not await store.async_consume(state.replace(state.split(".")[0], str(int(now[0]) + 10**6), 1))
    assert not await SignedStateStore("other secret").async_consume(state)
    assert not await store.async_consume("garbage")
    now[0] += 601
    assert not await store.async_consume(state)
    with pytest.raises(ValueError, match="must not be empty"):
        SignedStateStore("")


def installation(team: str, user: str, token: str, **kw: Any) -> Installation:
    return Installation(
        app_id="A1",
        team_id=team,
        team_name="Team",
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes=list(BOT_SCOPES),
        user_id=user,
        installed_at=1_800_000_000.0,
        **kw,
    )


async def test_the_installation_store_keeps_installations_in_the_repository(repo: SqliteRepository) -> None:
    store = RepositoryInstallationStore(repo, clock=lambda: datetime(2026, 11, 23, tzinfo=UTC))
    await store.async_save(installation("T1", "U1", "xoxb-first"))
    await store.async_save(installation("T1", "U2", "xoxb-second"))
    await store.async_save(installation("T2", "U9", "xoxb-other"))
    latest = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert latest is not None and (latest.bot_token, latest.user_id) == ("xoxb-second", "U2")
    assert latest.bot_scopes == list(BOT_SCOPES) and latest.installed_at == 1_800_000_000.0
    mine = await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert mine is not None and mine.bot_token == "xoxb-first"
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and (bot.bot_token, bot.bot_id, bot.team_id) == ("xoxb-second", "B1", "T1")
    assert await store.async_find_bot(enterprise_id=None, team_id="T404") is None

    # a rotated bot token replaces the old one in the workspace's record
    rotated = Bot(
        team_id="T1",
        bot_token="xoxe.xoxb-new",
        bot_id="B1",
        bot_user_id="UBOT",
        installed_at=1.0,
        bot_refresh_token="xoxe-1-r",
        bot_token_expires_at=1_900_000_000,
    )
    await store.async_save_bot(rotated)
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and (bot.bot_token, bot.bot_refresh_token) == ("xoxe.xoxb-new", "xoxe-1-r")

    await store.async_delete_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U1") is None
    await store.async_delete_bot(enterprise_id=None, team_id="T1")
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    await store.async_delete_all(enterprise_id=None, team_id="T2")
    assert await repo.find_installation("slack", "T2") is None
    assert await repo.find_installation("slack", "T1", "U2") is not None  # other workspaces and members untouched


def test_workspace_keys_use_the_team_or_the_org_for_org_wide_installs() -> None:
    assert workspace_key("E1", "T1") == "T1"
    assert workspace_key(None, "T1") == "T1"
    assert workspace_key("E1", None) == "org:E1"
    assert workspace_key("E1", "T1", is_enterprise_install=True) == "org:E1"


# ---- members and command text -------------------------------------------------------------------------------------


async def test_members_are_admins_when_slack_or_the_settings_say_so_and_profiles_are_cached(fake: FakeSlack) -> None:
    client = AsyncWebClient(token=fake.workspaces[TEAM].bot_token, base_url=fake.api_url)
    now = [0.0]
    members = Members({"slack:U0BOB0002"}, ttl=60, clock=lambda: now[0])
    root = await members.user(client, TEAM, ROOT)
    alice = await members.user(client, TEAM, ALICE)
    bob = await members.user(client, TEAM, "U0BOB0002")
    assert (root.is_admin, alice.is_admin, bob.is_admin) == (True, False, True)
    assert (alice.name, alice.key) == ("alice", f"slack:{ALICE}")
    await members.user(client, TEAM, ALICE)
    assert len(fake.calls_to("users.info")) == 3  # the second look-up came from the cache
    now[0] += 61
    await members.user(client, TEAM, ALICE)
    assert len(fake.calls_to("users.info")) == 4


@pytest.mark.allow_logs("users.info for U0GHOST failed (user_not_found)")
async def test_a_failed_profile_lookup_still_lets_the_member_play(fake: FakeSlack) -> None:
    client = AsyncWebClient(token=fake.workspaces[TEAM].bot_token, base_url=fake.api_url)
    ghost = await Members().user(client, TEAM, "U0GHOST", "ghost")
    assert (ghost.name, ghost.is_admin) == ("ghost", False)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", "help"),
        ("   ", "help"),
        ("10 domain:2", "quiz 10 domain:2"),
        ("quick", "quiz quick"),
        ("domain:security", "quiz domain:security"),
        ("qotd", "qotd"),
        ("quiz 5", "quiz 5"),
        ("settings timezone:America/New_York reveal:18:00", "settings timezone:America/New_York reveal:18:00"),
        ("stats &amp; more", "stats & more"),
    ],
)
def test_the_text_after_quiz_becomes_a_core_command(text: str, line: str) -> None:
    assert command_line(text) == line


def test_ticked_letters_are_read_from_the_interaction_state() -> None:
    body = {
        "state": {"values": {"quiz_choices": {"quiz_pick": {"selected_options": [{"value": "a"}, {"value": "c"}]}}}}
    }
    assert picked_letters(body) == "ac"
    assert picked_letters({}) == ""
    assert picked_letters({"state": {"values": {"x": {"other": {}}}}}) == ""


# ---- ChatPort -----------------------------------------------------------------------------------------------------


def test_message_refs_round_trip() -> None:
    assert parse_ref("C1:1700000000.000100") == ("C1", "1700000000.000100")
    assert parse_ref("nonsense") is None


@pytest.mark.allow_logs("cannot reveal message 1.000 in channel C0QUIZ001: message_not_found")
async def test_a_reveal_whose_card_was_deleted_is_posted_anew(fake: FakeSlack) -> None:
    client = AsyncWebClient(token=fake.workspaces[TEAM].bot_token, base_url=fake.api_url)

    async def client_for(workspace: str) -> AsyncWebClient:
        return client

    chat = SlackChat(client_for)
    card = RevealCard(
        round_id=1,
        kind=RoundKind.QOTD,
        question_no=1,
        question_id="q-0001",
        task="1.1",
        stem="Stem",
        answers=0,
        options=[OptionReveal(letter="a", text="A", explanation="Why.", correct=True)],
    )
    await chat.reveal(Target(platform="slack", workspace=TEAM, channel=CHANNEL), [f"{CHANNEL}:1.000"], card)
    assert fake.method_names() == ["chat.update", "chat.postMessage"]
    assert fake.calls_to("chat.postMessage")[0].args["text"] == "Question of the day revealed: the answer is A.\nStem"
    await chat.close()
