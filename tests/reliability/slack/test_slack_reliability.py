"""Slack: retried deliveries count once, a non-admin is refused every admin action, tokens never reach a log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from adapters.slack.app import SlackConfig
from bot.storage.sqlite import SqliteRepository
from tests.adapters.slack.conftest import ALICE, BOB, CHANNEL, ROOT, TEAM, SlackSender, StartDoor
from tests.adapters.slack.fake_slack import FORM, FakeSlack, block_actions_payload, button_action, interaction_body
from tests.adapters.slack.test_http import FIFO, post_qotd, replies
from tests.reliability.admin_actions import ADMIN_LINES, REFUSED
from tests.reliability.conftest import row_counts


async def click_with_retries(slack: SlackSender, fake: FakeSlack, value: str, ts: str, retries: int) -> list[int]:
    """One block_actions delivery, then Slack's retries of the very same body (X-Slack-Retry-Num 1, 2 …)."""
    payload = block_actions_payload(
        team_id=TEAM,
        user_id=ALICE,
        response_url=fake.response_url(TEAM, "actions"),
        channel_id=CHANNEL,
        message={"type": "message", "ts": ts, "text": "", "blocks": []},
        actions=[button_action(value, value, block_id="quiz_answer")],
    )
    body = interaction_body(payload)
    statuses = [(await slack.post(body, FORM))[0]]
    for n in range(1, retries + 1):
        statuses.append((await slack.post(body, FORM, retry_num=n))[0])
    return statuses


@pytest.mark.questions(FIFO)
async def test_a_retried_answer_delivery_is_one_row_and_one_score_change(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await post_qotd(slack, fake, repo)
    ts = next(iter(fake.messages))[1]
    assert await click_with_retries(slack, fake, "quiz:1:1:b", ts, retries=2) == [200, 200, 200]
    texts = [r["text"] for r in await replies(fake, 3)]
    assert texts.count("Recorded your answer B. The answer is revealed at 18:00 UTC.") == 1
    assert len(await repo.answers(1)) == 1
    await slack.command("reveal", user=ROOT)
    await replies(fake, 4)
    assert await repo.leaderboard(f"ch:slack:{TEAM}:{CHANNEL}", "all", 10) == [(f"slack:{ALICE}", 10, 1, 1)]


@pytest.mark.questions(FIFO)
async def test_every_admin_action_is_refused_for_a_member_who_is_not_an_admin(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository, tmp_path: Path
) -> None:
    await post_qotd(slack, fake, repo)
    path = tmp_path / "quizbot.sqlite3"  # the shared `repo` fixture's file
    before = row_counts(path)
    # `bank import` opens Slack's upload form; the core refuses a non-admin when the form is submitted
    lines = [line for line in ADMIN_LINES if not line.startswith("bank import")]
    for n, line in enumerate(lines, start=1):
        assert (await slack.command(line, user=BOB))[0] == 200
        reply = (await replies(fake, n))[-1]
        assert reply["response_type"] == "ephemeral" and reply["text"].startswith(REFUSED), (line, reply)
    assert row_counts(path) == before


@pytest.mark.allow_logs("invalid_auth")
async def test_tokens_and_secrets_never_reach_a_log_record(
    fake: FakeSlack, start_door: StartDoor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = fake.workspaces[TEAM].bot_token
    config = SlackConfig(
        signing_secret="SENTINEL-signing-secret",
        bot_token=good,
        host="127.0.0.1",
        port=0,
        api_url=fake.api_url,
        admin_ids=frozenset(),
        edit_interval=3600.0,
    )
    await start_door(config)
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert caplog.records
    for secret in (good, "SENTINEL-signing-secret"):
        assert secret not in logged
    assert "SENTINEL" not in repr(config) and good not in repr(config)
