"""JSON shapes of registry objects in the API."""

from eoffice.registry.models import DocumentType, RegistryBook


def document_type_json(t: DocumentType) -> dict:
    return {"id": t.id, "code": t.code, "name": t.name, "abbreviation": t.abbreviation}


def book_json(book: RegistryBook, last_number: int | None = None) -> dict:
    data = {"id": book.id, "name": book.name, "direction": book.direction, "secret": book.secret,
            "legal_normative": book.legal_normative, "active": book.active,
            "document_type_ids": [t.id for t in book.document_types]}
    if last_number is not None:
        data["last_number"] = last_number
    return data
