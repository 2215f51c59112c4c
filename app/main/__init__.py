"""The home page, the privacy notice and the health check."""
