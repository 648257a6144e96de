"""Progress on Slack via signed requests and the fake Web API: readiness, chart uploads, review, global boards."""

from __future__ import annotations

from typing import Any

from tests.adapters.slack.conftest import ALICE, BOB, SlackSender
from tests.adapters.slack.fake_slack import FakeSlack

PNG = b"\x89PNG\r\n\x1a\n"


async def replies(fake: FakeSlack, count: int) -> list[dict[str, Any]]:
    """The JSON bodies posted to response_url so far (waiting until there are `count`)."""
    return [c.json or {} for c in await fake.wait_for("response_url", count)]


def text_of(reply: dict[str, Any]) -> str:
    return "\n".join(str((b.get("text") or {}).get("text", "")) for b in reply.get("blocks", []))


async def test_stats_show_readiness_and_a_chart_is_uploaded_to_the_members_dm(
    fake: FakeSlack, slack: SlackSender
) -> None:
    await slack.command("stats")
    (stats,) = await replies(fake, 1)
    assert stats["response_type"] == "ephemeral"
    assert "*Readiness estimate:* no answers yet" in text_of(stats)
    assert "*Streak:* 0 day(s) · best 0" in text_of(stats)

    await slack.command("stats group chart:progress")
    _, done = await replies(fake, 2)
    assert done["text"] == "I sent the chart to our direct messages."
    (upload,) = fake.uploads.values()
    assert upload["data"].startswith(PNG) and upload["length"] == len(upload["data"])
    assert upload["completed"] and upload["channel_id"].startswith("D")
    assert upload["initial_comment"].startswith("Answers and accuracy per week for this channel")
    assert [c.method for c in fake.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


async def test_review_and_the_global_board_with_paging(fake: FakeSlack, slack: SlackSender) -> None:
    await slack.command("review 2")
    (review,) = await replies(fake, 1)
    blocks = review["blocks"]
    assert blocks[0]["text"]["text"] == "Quiz · question 1 of 2"
    assert blocks[1]["elements"][0]["text"].startswith("Review: 0 card(s) due today")

    await slack.command("optin global", user=BOB)
    _, joined = await replies(fake, 2)
    assert "You are on the global leaderboard now" in text_of(joined)

    await slack.command("leaderboard scope:global page:2", user=ALICE)
    _, _, board = await replies(fake, 3)
    assert board["blocks"][0]["text"]["text"] == "Leaderboard: all servers (opted-in members), all time"
    assert "`optin global` adds you" in text_of(board)
