"""Incoming documents: intake, registration, direction, handling, deadlines and registers."""
