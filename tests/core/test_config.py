import pytest

from config import Config, ConfigError, load_settings


def test_defaults_without_environment():
    settings = load_settings(Config, environ={})
    assert settings["DATABASE_URL"] == ""
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["PASSWORD_MIN_LENGTH"] == 10


def test_environment_overrides_are_parsed_by_type():
    settings = load_settings(Config, environ={"EOFFICE_SESSION_COOKIE_SECURE": "0", "EOFFICE_PASSWORD_MIN_LENGTH": "12",
                                              "EOFFICE_LANGUAGES": "vi, en"})
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["PASSWORD_MIN_LENGTH"] == 12
    assert settings["LANGUAGES"] == ("vi", "en")


def test_plain_database_url_is_honoured():
    settings = load_settings(Config, environ={"DATABASE_URL": "postgresql://db/eoffice"})
    assert settings["DATABASE_URL"] == "postgresql://db/eoffice"


def test_unknown_key_stops_start_up_with_its_name():
    with pytest.raises(ConfigError, match="EOFFICE_DATABSE_URL"):
        load_settings(Config, environ={"EOFFICE_DATABSE_URL": "sqlite://"})


def test_bad_value_names_the_key():
    with pytest.raises(ConfigError, match="EOFFICE_LOGIN_MAX_FAILURES"):
        load_settings(Config, environ={"EOFFICE_LOGIN_MAX_FAILURES": "many"})


def test_create_app_refuses_unknown_key(monkeypatch, tmp_path):
    from eoffice import create_app

    monkeypatch.setenv("EOFFICE_NOT_A_SETTING", "1")
    with pytest.raises(ConfigError, match="EOFFICE_NOT_A_SETTING"):
        create_app(overrides={"INSTANCE_PATH": str(tmp_path)})


def test_flask_cli_reports_unknown_key(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "EOFFICE_INSTANCE_PATH": str(tmp_path), "EOFFICE_SECRT_KEY": "x"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "EOFFICE_SECRT_KEY" in result.stderr


def test_secret_key_is_generated_once_into_the_instance(tmp_path):
    from eoffice import create_app

    first = create_app(overrides={"INSTANCE_PATH": str(tmp_path)})
    second = create_app(overrides={"INSTANCE_PATH": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'eoffice.sqlite3'}"
