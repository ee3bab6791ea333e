"""Content hashes: what a signed note or an issued invoice said, sealed with SHA-256.

Each record type lists the fields it seals next to its model; this module turns such a list
into one canonical text and hashes it. The format is permanent, like the audit chain's: its
number is part of what is hashed, so a later format can sit beside this one and every record
still verifies under the format it was sealed with.
"""

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal

FORMAT = 1


def _canonical(value):
    # The same value must give the same text whether it was just typed or read back from
    # SQLite or PostgreSQL: UTC with microseconds, and decimals without their scale.
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return "0" if value.is_zero() else format(value.normalize(), "f")
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return value


def hash_content(kind: str, fields: list) -> str:
    payload = [kind, FORMAT, *(_canonical(field) for field in fields)]
    canonical = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
