"""Persistent answer and stop controls: all state is in the custom_id, so they keep working after a restart."""

from __future__ import annotations

import re
from typing import Any, Protocol, cast

import discord

from bot import component_ids

STOP_PREFIX = "quizstop"
SelectOrButton = discord.ui.Button[Any] | discord.ui.Select[Any]


class ComponentHandler(Protocol):
    """What a click is handed to (the client's handlers); keeps this module free of rendering and service calls."""

    async def admit(self, interaction: discord.Interaction) -> bool:
        """Whether to take the interaction (not while shutting down)."""

    async def answer_clicked(self, interaction: discord.Interaction, custom_id: str, letters: str) -> None:
        """A member clicked an answer button or chose letters in a menu."""

    async def stop_clicked(self, interaction: discord.Interaction) -> None:
        """A member clicked Stop under their quiz question."""


class _WithHandlers(Protocol):
    handlers: ComponentHandler


def _handler(interaction: discord.Interaction) -> ComponentHandler:
    return cast("_WithHandlers", interaction.client).handlers


# The template is deliberately loose: anything starting with `quiz:` reaches the core, which re-validates the round,
# the question and the letters (bot.component_ids decodes it; forged ids get a polite refusal, not silence).
class AnswerControl(discord.ui.DynamicItem[SelectOrButton], template=r"quiz:[^\s]{0,95}"):
    """One letter button (`quiz:{round}:{question}:{letter}`) or a choose-N menu (`quiz:{round}:{question}:`)."""

    def __init__(self, item: SelectOrButton) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AnswerControl:
        """Rebuild the control from the clicked message (no state in memory)."""
        if not isinstance(item, discord.ui.Button | discord.ui.Select):
            raise TypeError(f"unexpected component {item!r}")
        return cls(item)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Not while shutting down."""
        return await _handler(interaction).admit(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click to the handlers: the custom_id and the letters (a menu's values, else the id's letter)."""
        if isinstance(self.item, discord.ui.Select):
            letters = "".join(self.item.values)
        else:
            decoded = component_ids.decode(self.custom_id)
            letters = decoded.choice if decoded else ""
        await _handler(interaction).answer_clicked(interaction, self.custom_id, letters)


class StopControl(discord.ui.DynamicItem[discord.ui.Button[Any]], template=STOP_PREFIX + r":(?P<round>[0-9]{1,12})"):
    """The Stop button under a solo quiz question; it ends the member's running quiz."""

    def __init__(self, round_id: int) -> None:
        self.round_id = round_id
        super().__init__(
            discord.ui.Button(label="Stop", style=discord.ButtonStyle.danger, custom_id=f"{STOP_PREFIX}:{round_id}")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> StopControl:
        """Rebuild the button from its custom_id."""
        return cls(int(match["round"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Not while shutting down."""
        return await _handler(interaction).admit(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click to the handlers."""
        await _handler(interaction).stop_clicked(interaction)


def letter_button(round_id: int, question_no: int, letter: str) -> AnswerControl:
    """The button answering one letter; the label carries only the letter (texts are in the embed)."""
    button: discord.ui.Button[Any] = discord.ui.Button(
        label=letter.upper(),
        style=discord.ButtonStyle.primary,
        custom_id=component_ids.encode(round_id, question_no, letter),
    )
    return AnswerControl(button)


def letters_menu(round_id: int, question_no: int, letters: str, choose: int) -> AnswerControl:
    """A menu for choose-N questions: exactly `choose` letters, submitted on selection."""
    menu: discord.ui.Select[Any] = discord.ui.Select(
        custom_id=component_ids.encode(round_id, question_no),
        placeholder=f"Choose {choose} letters",
        min_values=choose,
        max_values=choose,
        options=[discord.SelectOption(label=letter.upper(), value=letter) for letter in letters],
    )
    return AnswerControl(menu)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (AnswerControl, StopControl)
