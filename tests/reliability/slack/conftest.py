"""The Slack front door's harness (signed requests in, a fake Web API out), reused as is."""

from tests.adapters.slack.conftest import (
    channel_target,
    door,
    fake,
    log_problems,
    offline,
    pytest_configure,
    slack,
    slack_bank,
    slack_service,
    start_door,
)

__all__ = [
    "channel_target",
    "door",
    "fake",
    "log_problems",
    "offline",
    "pytest_configure",
    "slack",
    "slack_bank",
    "slack_service",
    "start_door",
]
