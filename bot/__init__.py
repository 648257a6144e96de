"""quizbot's platform-free core: the whole game lives here, no chat platform in sight."""
