"""Discord: the Report button and form, bank uploads as attachments, the review queue; through the fake Discord."""

from __future__ import annotations

from pathlib import Path

from bot.bank import Bank
from tests.adapters.discord.conftest import custom_ids, embed_of, ephemeral, question_of, running_bot
from tests.adapters.discord.fake_discord import ADMIN_PERMISSIONS, FakeDiscord, Json
from tests.conftest import FakeScheduler, FixedClock

FILES = Path(__file__).parents[2] / "data" / "formats"


def admin(name: str, **options: Json) -> list[Json]:
    """The options of `/quizadmin <name> …`."""
    types = {"file": 11}
    given = [{"name": k, "type": types.get(k, 3), "value": v} for k, v in options.items()]
    return [{"type": 1, "name": name, "options": given}]


async def test_report_button_opens_a_form_and_the_report_reaches_the_admins(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        interaction, _ = await bot.command("quiz", [{"name": "count", "type": 4, "value": 1}])
        message = fake.original_response(interaction)
        question = question_of(message, bank)
        _, feedback = await bot.answer(message, "".join(sorted(question.keys)))
        assert custom_ids(feedback["data"]) == [f"qreport:{question.id}"]
        shown = fake.messages[int(message["id"])]

        _, form = await bot.click(shown, f"qreport:{question.id}")
        assert form["type"] == 9  # MODAL
        assert form["data"]["custom_id"] == f"qreportform:{question.id}"
        labels = [c["label"] for c in form["data"]["components"]]
        assert labels == ["What is wrong?", "Comment (optional)"]
        menu = form["data"]["components"][0]["component"]
        assert [o["value"] for o in menu["options"]] == ["wrong-key", "unclear", "outdated", "typo"]

        submitted = fake.modal_submit(
            form["data"]["custom_id"],
            [
                {"type": 18, "id": 1, "component": {"type": 3, "custom_id": "reason", "values": ["outdated"]}},
                {"type": 18, "id": 2, "component": {"type": 4, "custom_id": "comment", "value": "Limits changed"}},
            ],
        )
        await fake.send_interaction(submitted)
        thanks = (await fake.wait_for_callback(submitted)).json
        assert thanks == ephemeral(f"Thanks, your report on {question.id} (outdated) is with the admins.")
        [stored] = await bot.repo.question_reports()
        assert (stored.question_id, stored.reason, stored.comment) == (question.id, "outdated", "Limits changed")
        assert stored.workspace == f"ws:discord:{fake.guild_id}"

        _, queue = await bot.command("quizadmin", admin("reports"), permissions=ADMIN_PERMISSIONS)
        shown_queue = embed_of(queue["data"])
        assert shown_queue["fields"][0]["name"] == f"{question.id} · 1 report(s)"
        assert (
            "Outdated x1" in shown_queue["fields"][0]["value"]
            and "> Limits changed" in shown_queue["fields"][0]["value"]
        )
        _, refused = await bot.command("quizadmin", admin("reports"))
        assert refused == ephemeral("Sorry, only an admin can see the reports.")


async def test_an_admin_uploads_a_bank_file_lists_exports_and_hides(
    fake: FakeDiscord, bank: Bank, clock: FixedClock, scheduler: FakeScheduler, tmp_path: Path
) -> None:
    async with running_bot(fake, bank, clock, scheduler, tmp_path) as bot:
        upload = fake.attachment("data-stores.csv", (FILES / "data-stores.csv").read_bytes())
        _, done = await bot.command(
            "quizadmin",
            admin("bank-import", file=upload["id"]),
            resolved={"attachments": {upload["id"]: upload}},
            permissions=ADMIN_PERMISSIONS,
        )
        report = embed_of(done["data"])
        assert report["description"].startswith("Imported 2 question(s) from data-stores.csv as import 1.")
        assert (
            "data-stores.csv:2: 1.3-data-stores-5001: warning: not in the file, filled in: source"
            in report["description"]
        )
        assert done["data"]["flags"] == 64

        _, listing = await bot.command("quizadmin", admin("bank"), permissions=ADMIN_PERMISSIONS)
        assert "`1` data-stores.csv · csv · 2 questions · enabled" in embed_of(listing["data"])["description"]

        await bot.command("quizadmin", admin("bank", action="export", format="gift"), permissions=ADMIN_PERMISSIONS)
        [sent] = [r for r in fake.requests if r.path.endswith("/callback") and r.files]
        assert b"::1.3-data-stores-5001::" in next(iter(sent.files.values()))

        _, hidden = await bot.command(
            "quizadmin", admin("hide", question="1.3-data-stores-5001"), permissions=ADMIN_PERMISSIONS
        )
        assert hidden == ephemeral("1.3-data-stores-5001 is now hidden on this server.")

        bad = fake.attachment("broken.xml", b"<quiz><question>\n</quiz>")
        _, refused = await bot.command(
            "quizadmin",
            admin("bank-import", file=bad["id"]),
            resolved={"attachments": {bad["id"]: bad}},
            permissions=ADMIN_PERMISSIONS,
        )
        text = embed_of(refused["data"])["description"]
        assert text.startswith("Nothing imported from broken.xml") and "broken.xml:2: -: broken XML" in text
        _, member = await bot.command(
            "quizadmin", admin("bank-import", file=upload["id"]), resolved={"attachments": {upload["id"]: upload}}
        )
        assert member == ephemeral("Sorry, only an admin can add questions to this server's bank.")
