"""Many workspaces: the OAuth install flow stores installations in the bot's own database, and each request (and
each reveal posted later by the core) uses the bot token of its own workspace."""

from __future__ import annotations

import asyncio
import html
import json
import re

import aiohttp
import pytest

from adapters.slack.app import BOT_SCOPES, SlackConfig
from adapters.slack.door import SlackDoor
from bot.storage.sqlite import SqliteRepository
from tests.adapters.slack.conftest import (
    ALICE,
    BASIC_AUTH_DEPRECATION,
    CHANNEL,
    SIGNING_SECRET,
    TEAM,
    SlackSender,
    StartDoor,
    refs_of,
)
from tests.adapters.slack.fake_slack import FakeSlack, event_callback

TEAM2, DAVE, CHANNEL2 = "T0SECOND2", "U0DAVE005", "C0SECOND1"


def oauth_config(fake: FakeSlack) -> SlackConfig:
    return SlackConfig(
        signing_secret=SIGNING_SECRET,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        state_secret="a-state-secret",
        host="127.0.0.1",
        port=0,
        api_url=fake.api_url,
        authorization_url=fake.authorization_url,
        edit_interval=3600.0,
    )


async def install(browser: aiohttp.ClientSession, fake: FakeSlack, base: str, team: str, user: str) -> str:
    """What a browser does: the install page, Slack's consent page ("Allow"), the redirect back with code and state."""
    fake.consent_next_install(team, user_id=user, user_token=False)
    async with browser.get(f"{base}/slack/install") as r:
        page, cookie = await r.text(), r.headers["Set-Cookie"].split(";")[0]
    link = re.search(r'<a href="([^"]+)"', page)
    assert link is not None
    async with browser.get(html.unescape(link.group(1)), allow_redirects=False) as r:
        redirect = r.headers["Location"]
    # The state cookie is Secure; a browser on https would send it back, aiohttp on http does not: copy it.
    async with browser.get(redirect, headers={"Cookie": cookie}, allow_redirects=False) as r:
        assert r.status == 200, await r.text()
        return await r.text()


@pytest.fixture
async def oauth_door(fake: FakeSlack, start_door: StartDoor) -> SlackDoor:
    fake.add_workspace(TEAM2, "Second Team", installed=False)
    fake.add_user(TEAM2, DAVE, "dave")
    door = await start_door(oauth_config(fake))
    fake.redirect_uri = f"http://127.0.0.1:{door.http_port}/slack/oauth_redirect"
    return door


@BASIC_AUTH_DEPRECATION
@pytest.mark.questions("1.1-app-code-0001")
@pytest.mark.allow_logs("the AuthorizeResult (returned value from authorize) for it was not found")
async def test_two_workspaces_install_and_each_uses_its_own_token(
    fake: FakeSlack, oauth_door: SlackDoor, repo: SqliteRepository
) -> None:
    base = f"http://127.0.0.1:{oauth_door.http_port}"
    async with aiohttp.ClientSession() as browser:
        assert "Thank you!" in await install(browser, fake, base, TEAM, ALICE)
        assert "Thank you!" in await install(browser, fake, base, TEAM2, DAVE)

    (consent, _) = fake.calls_to("oauth.authorize")
    assert consent.query["scope"] == ",".join(BOT_SCOPES) and consent.query["client_id"] == fake.client_id
    assert consent.query.get("user_scope", "") == ""
    # the installations are rows in the bot's own database (whatever the Repository is), one per workspace
    for team in (TEAM, TEAM2):
        stored = await repo.find_installation("slack", team)
        assert stored is not None
        record = json.loads(stored)
        assert (record["team_id"], record["bot_token"]) == (team, fake.workspaces[team].bot_token)
    assert json.loads(await repo.find_installation("slack", TEAM2, DAVE) or "{}")["user_id"] == DAVE

    async with aiohttp.ClientSession() as session:
        slack = SlackSender(session, fake)
        slack.url = f"{base}/slack/events"
        # a command from the second workspace is served with the second workspace's token
        fake.calls.clear()
        assert (await slack.command("qotd", team=TEAM2, user=DAVE, channel=CHANNEL2))[0] == 200
        (post,) = await fake.wait_for("chat.postMessage")
        assert post.token == fake.workspaces[TEAM2].bot_token and post.args["channel"] == CHANNEL2
        assert {c.token for c in fake.calls if c.method != "response_url"} == {fake.workspaces[TEAM2].bot_token}
        assert await refs_of(repo, 1)

        # the reveal happens outside any request (the core calls the ChatPort): still the second token
        await oauth_door.slack.service.close_round(1)
        (update,) = fake.calls_to("chat.update")
        assert update.token == fake.workspaces[TEAM2].bot_token and update.args["channel"] == CHANNEL2

        # the first workspace keeps its own token
        await slack.command("stats", team=TEAM, user=ALICE, channel=CHANNEL)
        (stats,) = await fake.wait_for("response_url")
        assert (stats.json or {})["text"].startswith("Stats for alice")
        (info,) = [c for c in fake.calls_to("users.info") if c.args["user"] == ALICE]
        assert info.token == fake.workspaces[TEAM].bot_token

        # uninstalling removes every record of the workspace; its next request gets Bolt's apology and no service
        uninstalled = event_callback({"type": "app_uninstalled", "event_ts": "1.2"}, team_id=TEAM2, bot_user_id="U")
        assert (await slack.event(uninstalled))[0] == 200
        for _ in range(300):
            if await repo.find_installation("slack", TEAM2) is None:
                break
            await asyncio.sleep(0.01)
        assert await repo.find_installation("slack", TEAM2) is None
        assert await repo.find_installation("slack", TEAM2, DAVE) is None
        assert await repo.find_installation("slack", TEAM) is not None
        fake.calls.clear()
        await slack.command("stats", team=TEAM2, user=DAVE, channel=CHANNEL2)
        (apology,) = await fake.wait_for("response_url")
        assert "installation with this app is no longer available" in (apology.json or {})["text"]
        assert fake.calls_to("users.info") == []


@BASIC_AUTH_DEPRECATION
async def test_a_forged_or_expired_state_installs_nothing(
    fake: FakeSlack, oauth_door: SlackDoor, repo: SqliteRepository
) -> None:
    base = f"http://127.0.0.1:{oauth_door.http_port}"
    code = fake.issue_oauth_code(TEAM2, user_id=DAVE, user_token=False)
    forged = "9999999999.nonce.not-a-signature"
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(
            f"{base}/slack/oauth_redirect?code={code}&state={forged}",
            headers={"Cookie": f"slack-app-oauth-state={forged}"},
        ) as r,
    ):
        assert r.status == 401  # invalid_state
    assert fake.calls_to("oauth.v2.access") == []
    assert await repo.find_installation("slack", TEAM2) is None
