"""Nobody of agency B can see or act on agency A's outgoing documents, in pages or the API: every route that takes
a document id answers 404 (or 403 at a role check that says nothing about the document) and changes nothing.
Inside an agency, a draft stays with the people who work on it."""

from __future__ import annotations

import pytest

from support import PASSWORD

from .helpers import UNIT_HEAD

ROLES = ("admin", "clerk", "leader", "specialist")

API_ROUTES = [("GET", "/api/v1/outgoing/{id}", None), ("PATCH", "/api/v1/outgoing/{id}", {"subject": "X"}),
              ("GET", "/api/v1/outgoing/{id}/file", None), ("GET", "/api/v1/outgoing/{id}/verification", None),
              ("GET", "/api/v1/outgoing/{id}/books", None),
              ("POST", "/api/v1/outgoing/{id}/submit", {}), ("POST", "/api/v1/outgoing/{id}/approve", {}),
              ("POST", "/api/v1/outgoing/{id}/return", {"comment": "X"}),
              ("POST", "/api/v1/outgoing/{id}/sign", {"pin": PASSWORD}),
              ("POST", "/api/v1/outgoing/{id}/issue", {"book_id": 1, "pin": PASSWORD}),
              ("POST", "/api/v1/outgoing/{id}/recall", {"reason": "X"}),
              ("POST", "/api/v1/outgoing/{id}/update", {"reason": "X"}),
              ("POST", "/api/v1/outgoing/{id}/replace", {"reason": "X"})]
WEB_ROUTES = [("GET", "/outgoing/{id}", None), ("GET", "/outgoing/{id}/edit", None),
              ("POST", "/outgoing/{id}/edit", {"subject": "X"}), ("GET", "/outgoing/{id}/file", None),
              ("POST", "/outgoing/{id}/submit", {}), ("POST", "/outgoing/{id}/review", {"decision": "approve"}),
              ("POST", "/outgoing/{id}/sign", {"pin": PASSWORD}),
              ("POST", "/outgoing/{id}/issue", {"book_id": 1, "pin": PASSWORD}),
              ("POST", "/outgoing/{id}/status", {"action": "recall", "reason": "X"})]


def _allowed(role: str, template: str) -> set[int]:
    # A clerk-only route refuses other roles (403) before it looks the document up, which says nothing about it.
    clerk_only = any(template.endswith(suffix) for suffix in ("/issue", "/books", "/status"))
    return {403, 404} if clerk_only and role != "clerk" else {404}


@pytest.fixture
def theirs(flow, demo_pki):
    """Documents of thanhtri in three states: a draft, one waiting for review, one issued."""
    draft = flow.draft(subject="Dự thảo bí ẩn của Thạnh Trị")
    review = flow.draft(subject="Dự thảo bí ẩn của Thạnh Trị")
    flow.act("thanhtri-specialist", review, "submit")
    issued = flow.to_signed(subject="Dự thảo bí ẩn của Thạnh Trị")
    flow.issue(issued, demo_pki["thanhtri"])
    return [draft, review, issued]


@pytest.mark.parametrize("role", ROLES)
def test_other_agency_cannot_see_or_act(client, flow, theirs, api_token, role):
    before = [flow.get("thanhtri-clerk", doc_id) for doc_id in theirs]
    headers = api_token(f"sonoivu-{role}")
    for doc_id in theirs:
        for method, template, body in API_ROUTES:
            response = client.open(template.format(id=doc_id), method=method, json=body, headers=headers)
            assert response.status_code in _allowed(role, template), (role, method, template, response.status_code)
    for box in ("all", "drafts", "to_review", "to_sign", "to_issue", "issued"):
        listing = client.get(f"/api/v1/outgoing?box={box}", headers=headers).get_data(as_text=True)
        assert "bí ẩn" not in listing
    if role in ("clerk", "admin"):
        assert "bí ẩn" not in client.get("/api/v1/outgoing/register", headers=headers).get_data(as_text=True)
    client.post("/login", data={"username": f"sonoivu-{role}", "password": PASSWORD})
    for doc_id in theirs:
        for method, template, body in WEB_ROUTES:
            response = client.open(template.format(id=doc_id), method=method, data=body)
            assert response.status_code in _allowed(role, template), (role, method, template, response.status_code)
    assert "bí ẩn" not in client.get("/outgoing/").get_data(as_text=True)
    assert [flow.get("thanhtri-clerk", doc_id) for doc_id in theirs] == before


def test_inside_the_agency_a_draft_stays_with_its_people(client, flow, demo_pki, api_token):
    draft = flow.draft()
    flow.get("thanhtri-admin", draft, expect=404)  # an admin is not part of the document flow
    flow.get("thanhtri-leader", draft)  # the signer
    flow.get("thanhtri-clerk", draft)
    flow.get(UNIT_HEAD, draft)  # leaders see what is coming
    flow.act("thanhtri-specialist", draft, "submit")
    flow.get("thanhtri-admin", draft, expect=404)
