"""Keep the Vietnamese catalogue in step with the code.

    python scripts/translations.py          extract the messages, merge them into vi/messages.po, fill the
                                            translations from vi/*.json, compile, and list what is missing

Vietnamese texts are written in `eoffice/translations/vi/<area>.json` ({English msgid: Vietnamese}), one file per
area so that work on different modules never edits the same file; messages.po is generated from them and the code.
"""

from __future__ import annotations

import fcntl
import io
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
VI = ROOT / "eoffice" / "translations" / "vi"
PO = VI / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def main() -> int:
    texts: dict[str, str] = {}
    for source in sorted(VI.glob("*.json")):
        texts.update(json.loads(source.read_text(encoding="utf-8")))
    catalog = Catalog(locale="vi", project="eoffice", charset="utf-8", fuzzy=False)
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / "eoffice"), method_map=METHODS, keywords=KEYWORDS):
        msgid = message if isinstance(message, str) else message[0]
        location = (f"eoffice/{filename}", lineno)
        if msgid in catalog:
            catalog[msgid].locations.append(location)
        else:
            catalog.add(msgid, texts.get(msgid, ""), locations=[location])
    PO.parent.mkdir(parents=True, exist_ok=True)
    with open(PO.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several people may run this at once
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=120, omit_header=False, sort_output=True)
        PO.write_bytes(buffer.getvalue())
        with open(PO.with_suffix(".mo"), "wb") as mo:
            write_mo(mo, read_po(io.BytesIO(buffer.getvalue()), locale="vi"))
    missing = sorted(m.id for m in catalog if m.id and not m.string)
    for msgid in missing:
        print(f"missing Vietnamese: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
