import json

from flask import has_request_context, request
from flask_login import current_user

from clinic.audit.models import AuditEvent
from clinic.extensions import db


def record(
    action: str,
    object_type: str | None = None,
    object_id: object = None,
    *,
    actor_id: int | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction; it is saved with the change it describes."""
    ip = None
    if has_request_context():
        ip = request.remote_addr
        if actor_id is None and current_user.is_authenticated:
            actor_id = current_user.id
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        actor_id=actor_id,
        ip=ip,
        detail=json.dumps(detail, sort_keys=True) if detail else None,
    )
    db.session.add(event)
    return event
