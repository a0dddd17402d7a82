"""Where the edXML vectors live (../shared/vectors/edxml, or EOFFICE_SHARED_DIR) and what expected.json says.

Import this from a test module: outside CI a missing directory skips the module, in CI it is a failure.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
VECTORS = Path(os.environ.get("EOFFICE_SHARED_DIR", _ROOT.parent / "shared")) / "vectors" / "edxml"
if not (VECTORS / "expected.json").is_file():
    if os.environ.get("CI"):  # CI always has shared/ beside the project: missing vectors are a failure there
        raise RuntimeError(f"edXML vectors not found at {VECTORS}")
    pytest.skip(f"edXML vectors not found at {VECTORS} (set EOFFICE_SHARED_DIR)", allow_module_level=True)

EXPECTED = json.loads((VECTORS / "expected.json").read_text(encoding="utf-8"))
FILES: dict[str, dict] = EXPECTED["files"]

# How each outcome of expected.json is met. "accept": parses, yields the values, no errors.
# "accept-with-warnings-or-reject": parses and yields the values (a tolerant parser must), and validation
# rejects it with errors naming what is missing or non-standard. "reject-or-lenient": the namespace-aware
# parser rejects it (namespace_error), no lenient repair. "reject": refused as not well-formed (malformed_xml).
READABLE = ("accept", "accept-with-warnings-or-reject")
VALID = ("accept",)
REFUSAL_CODE = {"reject": "malformed_xml", "reject-or-lenient": "namespace_error"}


def names(*outcomes: str) -> list[str]:
    """The vector file names whose expected_outcome is one of `outcomes` (all of them when none is given)."""
    return sorted(name for name, entry in FILES.items() if not outcomes or entry["expected_outcome"] in outcomes)


def read(name: str) -> bytes:
    return (VECTORS / name).read_bytes()
