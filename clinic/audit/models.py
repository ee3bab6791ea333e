from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinic.extensions import db
from clinic.types import UTCDateTime, utcnow

# The hash that the first event of a new log chains to.
GENESIS_HASH = "0" * 64


class AuditEvent(db.Model):
    """One thing that happened: who did what to which record, when and from where.

    Rows are only ever added, each sealed with a hash of its content and of the row before
    it, so an edited, removed or inserted row breaks the chain (`flask audit verify`).
    Failed logins are counted from here to throttle sign-in, which makes the throttle shared
    by every app server on the same database.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_action_object", "action", "object_id", "occurred_at"),
        Index("ix_audit_event_action_ip", "action", "ip", "occurred_at"),
        # A client's trail, newest first, a page at a time; and the log's other filters.
        Index("ix_audit_event_client_id", "client_id", "id"),
        Index("ix_audit_event_actor_id", "actor_id", "id"),
        Index("ix_audit_event_action_id", "action", "id"),
        Index("ix_audit_event_object_id", "object_id", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    # Position in the chain: 1, 2, 3... with no gap, assigned under the chain's lock.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(45))
    # The client the event concerns, if any. No foreign key: sealed rows never change, so
    # nothing done to a client's record may depend on them or reach into them.
    client_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(db.Model):
    """The newest link of the chain: one row, locked by every transaction that audits."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
