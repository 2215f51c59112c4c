"""Logging in and out, volunteer registration, one's own password and language."""
