"""Socket Mode: the SlackDoor with an app token connects to the fake's websocket and needs no HTTP endpoint."""

from __future__ import annotations

import pytest

from bot.storage.sqlite import SqliteRepository
from tests.adapters.slack.conftest import ALICE, CHANNEL, TEAM, StartDoor, refs_of, single_workspace_config
from tests.adapters.slack.fake_slack import (
    FakeSlack,
    app_home_opened_event,
    block_actions_payload,
    button_action,
    event_callback,
    slash_command_form,
)


@pytest.mark.questions("1.1-app-code-0001")
async def test_socket_mode_serves_commands_buttons_and_events(
    fake: FakeSlack, start_door: StartDoor, repo: SqliteRepository
) -> None:
    door = await start_door(single_workspace_config(fake, signing_secret="", app_token=fake.app_token))
    assert door.http_port is None  # no public URL needed: nothing listens
    (connect,) = fake.calls_to("apps.connections.open")
    assert connect.token == fake.app_token

    command = slash_command_form(
        command="/quiz", text="qotd", team_id=TEAM, user_id=ALICE, response_url=fake.response_url(TEAM)
    )
    ack = await fake.send_envelope("slash_commands", command)
    assert ack.frame == {"envelope_id": ack.envelope_id}  # acked first, with nothing to show
    (post,) = await fake.wait_for("chat.postMessage")
    assert post.args["channel"] == CHANNEL and post.token == fake.workspaces[TEAM].bot_token

    (channel, _), message = next(iter(fake.messages.items()))
    click = block_actions_payload(
        team_id=TEAM,
        user_id=ALICE,
        response_url=fake.response_url(TEAM, "actions"),
        message=message,
        channel_id=channel,
        actions=[button_action("quiz:1:1:b", "quiz:1:1:b", block_id="quiz_answer")],
    )
    assert await refs_of(repo, 1)  # stored once chat.postMessage answered
    ack = await fake.send_envelope("interactive", click)
    assert ack.frame == {"envelope_id": ack.envelope_id}
    (reply,) = await fake.wait_for("response_url")
    assert reply.json == {
        "text": "Recorded your answer B. The answer is revealed at 18:00 UTC.",
        "response_type": "ephemeral",
        "replace_original": False,
    }
    assert len(await repo.answers(1)) == 1

    # an events_api envelope and its retry (retry_attempt) with the same event_id: handled once
    envelope = event_callback(app_home_opened_event(ALICE), team_id=TEAM, bot_user_id="UBOT")
    await fake.send_envelope("events_api", envelope)
    await fake.wait_for("views.publish")
    await fake.send_envelope("events_api", envelope, retry_attempt=1, retry_reason="timeout")
    other = event_callback(app_home_opened_event(ALICE), team_id=TEAM, bot_user_id="UBOT")
    await fake.send_envelope("events_api", other)
    await fake.wait_for("views.publish", 2)
    assert len(fake.calls_to("views.publish")) == 2

    # Slack asks for a reconnect: the client opens a new socket and goes on serving
    await fake.send_socket_disconnect("refresh_requested")
    await fake.wait_for("apps.connections.open", 2)
    ack = await fake.send_envelope("slash_commands", {**command, "text": "help"})
    assert ack.frame == {"envelope_id": ack.envelope_id}
    await fake.wait_for("response_url", 2)
