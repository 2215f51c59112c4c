"""The administrator's management of staff accounts."""
