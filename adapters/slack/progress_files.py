"""Charts on Slack: the PNG is uploaded (files_upload_v2) to the member's DM with the app, which keeps stats private."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.cards import ChartCard


async def upload_chart(client: AsyncWebClient, user_id: str, card: ChartCard) -> str:
    """Upload the chart into the member's DM with the app; returns the sentence to answer the command with."""
    dm = await client.conversations_open(users=user_id)
    await client.files_upload_v2(
        channel=dm["channel"]["id"],
        file=card.png,
        filename=card.filename,
        title=card.caption,
        alt_txt=card.caption,
        initial_comment=card.caption,
    )
    return "I sent the chart to our direct messages."
