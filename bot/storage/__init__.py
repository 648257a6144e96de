"""Storage implementations of the Repository port and their numbered SQL migrations."""
