"""Writing and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timezone

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from eoffice.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry
from eoffice.core.time import utcnow
from eoffice.extensions import db


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the previous hash and every recorded field, in a fixed canonical form."""
    created = entry.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = [entry.chain, entry.seq, entry.prev_hash, created, entry.agency_id, entry.actor_id, entry.actor_name,
               entry.action, entry.object_type, entry.object_id, entry.data, entry.ip]
    canonical = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(action: str, *, agency_id: int | None, actor=None, obj=None, object_type: str = "",
           object_id: str = "", data: dict | None = None) -> AuditEntry:
    """Append an entry to the agency's chain in the current transaction (flushes, never commits)."""
    chain = f"agency:{agency_id}" if agency_id else "system"
    head = _lock_head(chain)
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id or str(obj.id)
    entry = AuditEntry(
        chain=chain, seq=head.seq + 1, prev_hash=head.hash, agency_id=agency_id,
        actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "username", "") or "",
        action=action, object_type=object_type, object_id=str(object_id or ""),
        data=json.dumps(data or {}, ensure_ascii=False, sort_keys=True, default=str),
        ip=(request.remote_addr or "") if has_request_context() else "",
        created_at=utcnow(),
    )
    entry.hash = entry_hash(entry)
    head.seq, head.hash = entry.seq, entry.hash
    db.session.add(entry)
    db.session.flush()
    return entry


def _lock_head(chain: str) -> AuditChainHead:
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(AuditChainHead).values(chain=chain, seq=0, hash=GENESIS_HASH).on_conflict_do_nothing())
    return db.session.execute(
        select(AuditChainHead).where(AuditChainHead.chain == chain).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


@dataclass
class ChainProblem:
    chain: str
    seq: int
    entry_id: int | None
    kind: str  # altered | removed | truncated | reordered
    detail: str

    def __str__(self) -> str:
        where = f"entry #{self.seq}" + (f" (id {self.entry_id})" if self.entry_id else "")
        return f"chain {self.chain}: {where} {self.kind}: {self.detail}"


@dataclass
class ChainReport:
    entries: int
    chains: int
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"ok": self.ok, "entries": self.entries, "chains": self.chains,
                "problems": [str(p) for p in self.problems]}


def verify_chain(chain: str | None = None) -> ChainReport:
    """Recompute every chain (or one) and report, per chain, the first entry altered or removed."""
    heads = {h.chain: h for h in db.session.scalars(
        select(AuditChainHead).execution_options(populate_existing=True))}
    chains = [chain] if chain else sorted(heads | {c: None for c in db.session.scalars(
        select(AuditEntry.chain).distinct())})
    problems, count = [], 0
    for name in chains:
        expected_seq, expected_prev = 1, GENESIS_HASH
        problem = None
        query = select(AuditEntry).where(AuditEntry.chain == name).order_by(AuditEntry.seq)
        # populate_existing: verify what the database holds now, never a copy cached in this session.
        for entry in db.session.scalars(query.execution_options(yield_per=500, populate_existing=True)):
            count += 1
            if problem:
                continue
            if entry.seq != expected_seq:
                problem = ChainProblem(name, expected_seq, None, "removed",
                                       f"the next entry present is #{entry.seq} (id {entry.id})")
            elif entry.prev_hash != expected_prev:
                problem = ChainProblem(name, entry.seq, entry.id, "altered",
                                       "its link to the previous entry does not match")
            elif entry_hash(entry) != entry.hash:
                problem = ChainProblem(name, entry.seq, entry.id, "altered",
                                       "its content does not match its hash")
            expected_seq, expected_prev = entry.seq + 1, entry.hash
        head = heads.get(name)
        if not problem and head is not None and (head.seq != expected_seq - 1 or head.hash != expected_prev):
            problem = ChainProblem(name, expected_seq, None, "removed",
                                   f"the chain should end at #{head.seq} but ends at #{expected_seq - 1}")
        if problem:
            problems.append(problem)
    return ChainReport(entries=count, chains=len(chains), problems=problems)
