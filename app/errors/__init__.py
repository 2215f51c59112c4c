"""Error pages in the user's language: never a stack trace."""
