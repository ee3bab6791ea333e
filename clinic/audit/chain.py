"""The audit log's hash chain: each event seals its content and the hash of the one before.

Every transaction that writes an audit event first advances the chain head with an UPDATE,
which locks that row (PostgreSQL) or the database (SQLite) until commit; so events get
gap-free sequence numbers and each one chains to exactly the event committed before it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from clinic.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from clinic.extensions import db

HEAD = AuditChainHead.__table__


def event_hash(event: AuditEvent) -> str:
    """The seal of one event. Its format is permanent: changing it would break every chain.

    The client an event concerns was added later (migration 0011); it is sealed only when set,
    so events sealed before it still verify. A client set, changed or removed afterwards
    changes the seal either way: a payload with it is one item longer than one without.
    """
    payload = [
        event.seq,
        event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        event.actor_id,
        event.action,
        event.object_type,
        event.object_id,
        event.ip,
        event.detail,
        event.prev_hash,
    ]
    if event.client_id is not None:
        payload.append(event.client_id)
    canonical = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _create_head_if_missing() -> None:
    dialect = db.session.get_bind().dialect.name
    builder = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect, insert)
    statement = builder(HEAD).values(id=1, seq=0, hash=GENESIS_HASH)
    if dialect in ("postgresql", "sqlite"):
        statement = statement.on_conflict_do_nothing(index_elements=["id"])
    db.session.execute(statement)


def seal(event: AuditEvent) -> None:
    """Give the event its place in the chain and its hash (within the caller's transaction)."""
    advance = (
        update(HEAD)
        .where(HEAD.c.id == 1)
        .values(seq=HEAD.c.seq + 1)
        .returning(HEAD.c.seq, HEAD.c.hash)
    )
    link = db.session.execute(advance).first()
    if link is None:
        _create_head_if_missing()
        link = db.session.execute(advance).one()
    event.seq, event.prev_hash = link.seq, link.hash
    event.hash = event_hash(event)
    db.session.execute(update(HEAD).where(HEAD.c.id == 1).values(hash=event.hash))


@dataclass(frozen=True)
class Verdict:
    events: int
    broken_at: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify() -> Verdict:
    """Walk the whole chain and name the first event that does not hold."""
    expected_seq, previous = 1, GENESIS_HASH
    query = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
    with db.session.scalars(query) as events:
        for event in events:
            verified = expected_seq - 1
            if event.seq != expected_seq:
                return Verdict(verified, expected_seq, "this event is missing")
            if event.prev_hash != previous:
                return Verdict(verified, event.seq, "it does not follow the event before it")
            if event_hash(event) != event.hash:
                return Verdict(verified, event.seq, "its content was changed after it was written")
            expected_seq, previous = expected_seq + 1, event.hash
    head = db.session.get(AuditChainHead, 1)
    count = expected_seq - 1
    if head is not None and (head.seq, head.hash) != (count, previous):
        return Verdict(count, count + 1, "the newest events were removed")
    return Verdict(count)
