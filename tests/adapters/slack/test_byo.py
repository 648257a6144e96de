"""Slack: the Report button and modal, the bank upload modal with a file input, the review queue commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.storage.sqlite import SqliteRepository
from tests.adapters.slack.conftest import ALICE, CHANNEL, ROOT, TEAM, SlackSender
from tests.adapters.slack.fake_slack import FORM, FakeSlack, interaction_body

FIFO = "1.1-app-code-0001"
FILES = Path(__file__).parents[2] / "data" / "formats"


async def submit(slack: SlackSender, view: dict[str, Any], values: dict[str, Any], user: str) -> int:
    """A view_submission of an opened modal with the given state values."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "quiz-team"},
        "user": {"id": user, "username": "someone", "name": "someone", "team_id": TEAM},
        "api_app_id": "A0QUIZBOT1",
        "token": "deprecated-verification-token",
        "trigger_id": "1.2.3",
        "view": {**view, "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    status, _, _ = await slack.post(interaction_body(payload), FORM)
    return status


@pytest.mark.questions(FIFO)
async def test_report_button_opens_a_modal_and_the_report_is_stored(
    fake: FakeSlack, slack: SlackSender, repo: SqliteRepository
) -> None:
    await slack.command("quiz 1")
    await fake.wait_for("response_url")
    await slack.click("quiz:1:1:b", "quiz:1:1:b", ephemeral=True)
    feedback = (await fake.wait_for("response_url", 2))[1].json or {}
    report = feedback["blocks"][-1]
    assert report["elements"][0] == {
        "type": "button",
        "action_id": "qreport",
        "value": FIFO,
        "text": {"type": "plain_text", "text": "Report a problem", "emoji": True},
    }

    await slack.click("qreport", FIFO, block_id="qreport_actions", ephemeral=True)
    (opened,) = await fake.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "qreport_form"
    reasons = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    assert reasons == ["wrong-key", "unclear", "outdated", "typo"]

    stored_view = fake.views[-1]
    values = {
        "reason": {"reason": {"type": "static_select", "selected_option": {"value": "wrong-key"}}},
        "comment": {"comment": {"type": "plain_text_input", "value": "C is also right"}},
    }
    assert await submit(slack, stored_view, values, ALICE) == 200
    (thanks,) = await fake.wait_for("chat.postEphemeral")
    assert thanks.args["text"] == f"Thanks, your report on {FIFO} (wrong key) is with the admins."
    assert (thanks.args["channel"], thanks.args["user"]) == (CHANNEL, ALICE)
    [stored] = await repo.question_reports()
    assert (stored.workspace, stored.reason, stored.comment) == (f"ws:slack:{TEAM}", "wrong-key", "C is also right")

    await slack.command("reports", user=ROOT)
    queue = (await fake.wait_for("response_url", 4))[3].json or {}  # after the feedback and the summary
    assert f"`{FIFO}` · 1 report(s): Wrong key x1" in queue["text"] and ">C is also right" in queue["text"]


async def test_an_admin_uploads_a_file_through_the_modal(fake: FakeSlack, slack: SlackSender) -> None:
    await slack.command("bank import", user=ROOT)
    (opened,) = await fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "bank_upload"
    assert opened.args["view"]["blocks"][0]["element"]["type"] == "file_input"
    upload = fake.private_file("data-stores.csv", (FILES / "data-stores.csv").read_bytes())
    values = {"file": {"file": {"type": "file_input", "files": [upload]}}}
    assert await submit(slack, fake.views[-1], values, ROOT) == 200
    (outcome,) = await fake.wait_for("chat.postEphemeral")
    assert outcome.args["text"].startswith("Imported 2 question(s) from data-stores.csv as import 1.")
    assert "data-stores.csv:2: 1.3-data-stores-5001: warning:" in outcome.args["text"]

    await slack.command("bank list", user=ROOT)
    (listing,) = await fake.wait_for("response_url")
    assert "`1` data-stores.csv · csv · 2 questions · enabled" in (listing.json or {})["text"]

    await slack.command("hide 1.3-data-stores-5002", user=ROOT)
    hidden = (await fake.wait_for("response_url", 2))[1].json or {}
    assert hidden["text"] == "1.3-data-stores-5002 is now hidden on this server."

    # A member may open the form, but the core refuses the upload.
    await slack.command("bank import", user=ALICE)
    await fake.wait_for("views.open", 2)
    again = fake.private_file("data-stores.csv", b"stem,a,b,answer\nOne?,x,y,a\n")
    assert await submit(slack, fake.views[-1], {"file": {"file": {"files": [again]}}}, ALICE) == 200
    refused = (await fake.wait_for("chat.postEphemeral", 2))[1]
    assert refused.args["text"] == "Sorry, only an admin can add questions to this server's bank."
