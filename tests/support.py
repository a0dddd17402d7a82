"""Values and helpers shared by test modules (importable because setup.cfg puts tests/ on the path)."""

#: Password of every demo user created by the `demo` fixture.
PASSWORD = "Test-password-2026"
