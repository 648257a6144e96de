"""The Discord front door: slash commands, persistent buttons and embeds on top of QuizService."""
