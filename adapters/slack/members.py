"""Who is asking: a Slack member as the core's UserRef, admin when Slack says so or the settings list them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Target, UserRef

PLATFORM = "slack"
# users.info answers are reused this long: names and admin flags change rarely, and one call per click would add
# latency and use up the Web API's rate limit during a busy question of the day.
PROFILE_TTL = 300.0

log = logging.getLogger(__name__)


def target(team_id: str, channel_id: str) -> Target:
    """A Slack channel (or DM) in a workspace, as the core knows it."""
    return Target(platform=PLATFORM, workspace=team_id, channel=channel_id)


@dataclass(frozen=True)
class Profile:
    """What users.info told us about a member."""

    name: str
    is_admin: bool
    is_bot: bool = False  # bots (and Slackbot) cannot be challenged to a duel


class Members:
    """Turns Slack user ids into UserRefs with display names and admin rights, caching users.info for a while."""

    def __init__(
        self,
        admin_ids: Collection[str] = (),
        ttl: float = PROFILE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._admin_ids = frozenset(admin_ids)
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Profile]] = {}

    def listed(self, user_id: str) -> bool:
        """True when the settings name this member an admin (QUIZBOT_SLACK_ADMIN_IDS, or slack:U… in ADMIN_IDS)."""
        return user_id in self._admin_ids or f"{PLATFORM}:{user_id}" in self._admin_ids

    async def user(self, client: AsyncWebClient, team_id: str, user_id: str, fallback_name: str = "") -> UserRef:
        """The member behind a request: workspace admins and owners (users.info) and listed ids are admins."""
        profile = await self._profile(client, team_id, user_id, fallback_name)
        return UserRef(
            platform=PLATFORM,
            user_id=user_id,
            name=profile.name,
            is_admin=profile.is_admin or self.listed(user_id),
            is_bot=profile.is_bot,
        )

    async def _profile(self, client: AsyncWebClient, team_id: str, user_id: str, fallback_name: str) -> Profile:
        key = (team_id, user_id)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            # Without users:read (an old install) the member still plays; only Slack-granted admin rights are lost.
            error = exc.response.get("error")
            log.warning("users.info for %s failed (%s); using the name from the request", user_id, error)
            return Profile(name=fallback_name or user_id, is_admin=False)
        info = response["user"]
        profile_data = info.get("profile") or {}
        name = profile_data.get("display_name") or profile_data.get("real_name") or info.get("name") or user_id
        is_bot = bool(info.get("is_bot")) or user_id == "USLACKBOT"
        profile = Profile(name=name, is_admin=bool(info.get("is_admin") or info.get("is_owner")), is_bot=is_bot)
        self._cache[key] = (now, profile)
        return profile
