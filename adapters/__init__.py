"""Front doors (console, Discord, Slack) and the composition root; each decodes, calls the core, renders."""
