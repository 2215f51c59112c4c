"""Feng County's bodies and places: organizations, schools, towns, villages; the admin's CSV import."""
