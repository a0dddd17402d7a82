"""Agencies (with their identifier code), units, users, roles, login, lockout and API tokens."""
