"""Audit trail: the log model, the one function that writes it, and the administrator's log page."""
