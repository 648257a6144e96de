"""Every admin action as a command line (the grammar console and Slack share); read-only views are left out."""

from __future__ import annotations

from tests.conftest import MINI_BANK

ADMIN_LINES = [
    "reveal",
    "settings timezone:Europe/Berlin",
    "settings reveal:19:00",
    "schedule add qotd at:09:00",
    "schedule pause 1",
    "schedule resume 1",
    "schedule delete 1",
    "reports",
    "hide 1.1-app-code-0001",
    "unhide 1.1-app-code-0001",
    "bank use own",
    "bank disable 1.1-app-code-0001",
    "bank enable 1.1-app-code-0001",
    "bank export",
    f"bank import {MINI_BANK / '1.1-app-code.yaml'}",  # a file that exists: the refusal is about who asks
]
REFUSED = "Sorry, only an admin can "
