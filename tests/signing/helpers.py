"""Assertions shared by the signing tests: pyHanko validation and poppler's pdfsig."""

from __future__ import annotations

import subprocess
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature


def validate_all(pdf: bytes, validation_context) -> dict:
    """Validate every signature with pyHanko; return ``{field name: status}``."""
    reader = PdfFileReader(BytesIO(pdf))
    return {sig.field_name: validate_pdf_signature(sig, validation_context) for sig in reader.embedded_regular_signatures}


def field_values(pdf: bytes) -> dict:
    """``{field name: value}`` of the document's AcroForm fields."""
    reader = PdfFileReader(BytesIO(pdf))
    return {str(f.get_object()["/T"]): f.get_object().get("/V") for f in reader.root["/AcroForm"]["/Fields"]}


def pdfsig(pdf: bytes, nssdb, tmp_path) -> str:
    """Run ``pdfsig`` on the document against the NSS database; return its output."""
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdfsig", "-nssdir", f"sql:{nssdb}", str(path)], capture_output=True, text=True,
                            timeout=60)
    return result.stdout + result.stderr


def assert_pdfsig_valid(output: str, count: int = 1) -> None:
    assert output.count("Signature Validation: Signature is Valid.") == count, output
    assert output.count("ETSI.CAdES.detached") == count, output


def assert_pdfsig_trusted(output: str, count: int = 1) -> None:
    assert output.count("Certificate Validation: Certificate is Trusted.") == count, output
