"""Vietnamese is the first language: every message of the code and the templates has a Vietnamese translation."""

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / "eoffice"), method_map=method_map, keywords=keywords):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_message_has_a_vietnamese_translation():
    catalog = read_po(io.BytesIO((ROOT / "eoffice/translations/vi/LC_MESSAGES/messages.po").read_bytes()))
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(_extracted() - translated)
    assert missing == [], f"add Vietnamese for: {missing}"


def test_api_documents_every_route(app):
    from eoffice.api.openapi import PATHS

    documented = {(path, method) for path, ops in PATHS.items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = rule.rule[len("/api/v1"):].replace("<int:", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {rule.rule} is missing from the OpenAPI document"
