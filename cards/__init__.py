"""cards package."""
