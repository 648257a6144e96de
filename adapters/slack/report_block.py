"""The Report button under every reveal and quiz feedback (value: the question id)."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

REPORT_ACTION = "qreport"
REPORT_BLOCK = "qreport_actions"


def report_actions(question_id: str) -> ActionsBlock:
    """An actions block holding the Report button."""
    button = ButtonElement(text="Report a problem", action_id=REPORT_ACTION, value=question_id[:2000])
    return ActionsBlock(block_id=REPORT_BLOCK, elements=[button])
