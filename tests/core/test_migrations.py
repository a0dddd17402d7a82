from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def test_alembic_has_exactly_one_head():
    script = ScriptDirectory.from_config(_alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, f"several Alembic heads, merge them: {heads}"


def _alembic_config() -> AlembicConfig:
    config = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def test_models_match_the_migrated_schema(app, db_session):
    """The test database was built by the migrations; autogenerate must find nothing left to migrate."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from eoffice.extensions import db

    context = MigrationContext.configure(db_session.connection(), opts={"render_as_batch": True})
    differences = [d for d in compare_metadata(context, db.metadata)
                   if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]
    assert differences == []
