"""Process configuration from the environment (12-factor), optionally seeded by a `.env` file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from storage.engine import DEFAULT_DATABASE_URL

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class SettingsError(ValueError):
    """A required setting is missing; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    slack_api_url: str
    database_url: str
    config_path: Path
    intake_secret: str | None

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv: Path | None = None
    ) -> Settings:
        """Read settings; real environment variables win over the `.env` file."""
        env_file = dotenv if dotenv is not None else Path(".env")
        values: dict[str, str] = (
            {k: v for k, v in dotenv_values(env_file).items() if v is not None}
            if env_file.is_file()
            else {}
        )
        values.update(environ if environ is not None else os.environ)
        return cls(
            bot_token=values.get("SLACK_BOT_TOKEN") or None,
            signing_secret=values.get("SLACK_SIGNING_SECRET") or None,
            app_token=values.get("SLACK_APP_TOKEN") or None,
            slack_api_url=_with_slash(values.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL),
            database_url=values.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            config_path=Path(values.get("LEADCLOCK_CONFIG") or "leadclock.toml"),
            intake_secret=values.get("LEADCLOCK_INTAKE_SECRET") or None,
        )

    def require_bot_token(self) -> str:
        if not self.bot_token:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set; it is the bot token (xoxb-…) of your Slack app"
            )
        return self.bot_token

    def require_signing_secret(self) -> str:
        if not self.signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set; HTTP mode needs it to verify requests from Slack "
                "(or set SLACK_APP_TOKEN to use Socket Mode)"
            )
        return self.signing_secret

    def __repr__(self) -> str:
        """Never print secrets, even by accident in a traceback or log line."""
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, database_url=<hidden>, "
            f"config_path={str(self.config_path)!r}, socket_mode={self.app_token is not None})"
        )


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
