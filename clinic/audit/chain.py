"""The audit log's hash chain: each event seals its content and the hash of the one before.

Events are sealed when the session commits them. The commit first advances the chain head by
the number of events it writes, with an UPDATE that locks that row (PostgreSQL) or the
database (SQLite) until commit; so events get gap-free sequence numbers and each one chains
to exactly the event committed before it. A commit of several events (a batch of page views
from the journal) pays for one advance of the head, not one each. As the newest event goes
in, a trigger (migration 0016) gives the head its hash, the one the next commit's events
chain to.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, event, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clinic.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from clinic.extensions import db

HEAD = AuditChainHead.__table__


@dataclass(slots=True)
class Unsealed:
    """An event on its way into the log: given its place and seal, and written, at commit.

    A plain record rather than an `AuditEvent`: the row is only ever inserted, never loaded
    or changed through the session, and every page view makes one or two of them.
    """

    occurred_at: datetime
    action: str
    object_type: str | None
    object_id: str | None
    actor_id: int | None
    ip: str | None
    client_id: int | None
    detail: str | None
    seq: int | None = None
    prev_hash: str | None = None
    hash: str | None = None


# json.dumps with these settings, its encoder built once rather than on every call (2.5 µs an
# event rather than 3.5): a busy worker seals a few hundred page views a second.
_canonical_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def event_hash(event: AuditEvent | Unsealed) -> str:
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
    return hashlib.sha256(_canonical_json(payload).encode()).hexdigest()


def _create_head_if_missing(connection: Connection) -> None:
    dialect = connection.dialect.name
    builder = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect, insert)
    statement = builder(HEAD).values(id=1, seq=0, hash=GENESIS_HASH)
    if dialect in ("postgresql", "sqlite"):
        statement = statement.on_conflict_do_nothing(index_elements=["id"])
    connection.execute(statement)


_ADVANCE = (
    update(HEAD)
    .where(HEAD.c.id == 1)
    .values(seq=HEAD.c.seq + bindparam("events"))
    .returning(HEAD.c.seq, HEAD.c.hash)
)

_INSERT = insert(AuditEvent.__table__)
_SEALED_COLUMNS = ("seq", "occurred_at", "actor_id", "action", "object_type", "object_id", "ip",
                   "client_id", "detail", "prev_hash", "hash")

UNSEALED = "audit_unsealed"


def add(session: Session, *events: Unsealed) -> None:
    """Put the events in the session's transaction: they are sealed and written at commit."""
    session.connection()  # a transaction now, so that its rollback drops the events
    session.info.setdefault(UNSEALED, []).extend(events)


def _seal(connection: Connection, events: list[Unsealed]) -> None:
    """Give the events, in the order they were recorded, their places and hashes."""
    link = connection.execute(_ADVANCE, {"events": len(events)}).first()
    if link is None:
        _create_head_if_missing(connection)
        link = connection.execute(_ADVANCE, {"events": len(events)}).one()
    previous = link.hash
    for seq, unsealed in enumerate(events, start=link.seq - len(events) + 1):
        unsealed.seq, unsealed.prev_hash = seq, previous
        unsealed.hash = previous = event_hash(unsealed)


# Events are rows only ever added and never read back by the transaction that writes them,
# so they go in as one plain INSERT of them all at commit, not through the ORM's unit of work.
@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    pending = session.info.pop(UNSEALED, None)
    if pending:
        connection = session.connection()
        _seal(connection, pending)
        connection.execute(_INSERT, [{column: getattr(e, column) for column in _SEALED_COLUMNS}
                                     for e in pending])


@event.listens_for(Session, "after_transaction_end")
def _drop_unwritten(session: Session, transaction) -> None:
    # What a transaction rolled back or closed recorded did not happen: it takes no place in
    # the chain, nor in the session's next transaction.
    if transaction.parent is None:
        session.info.pop(UNSEALED, None)


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
