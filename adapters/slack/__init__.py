"""The Slack front door: Bolt AsyncApp over HTTP or Socket Mode, one workspace or many (OAuth)."""
