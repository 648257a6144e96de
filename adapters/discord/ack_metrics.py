"""Interaction acknowledgement latency (quizbot_interaction_ack_seconds): from the interaction's id time to its ack."""

from __future__ import annotations

import discord

from bot.metrics import METRICS


def observe_ack(interaction: discord.Interaction) -> None:
    """Record how long this interaction waited for its first response (a defer or a reply)."""
    waited = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    METRICS.ack_latency.observe(max(0.0, waited))
