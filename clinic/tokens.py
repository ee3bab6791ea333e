"""Random tokens for links sent to clients, and the keyed hashes kept of them instead."""

import hashlib
import hmac
import secrets

from flask import current_app


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


def keyed_hash(token: str, purpose: str) -> str:
    """Keyed with the app's secret and the token's purpose: a copied database cannot make a
    working link, and no other kind of token hashes to this kind's."""
    key = hmac.new(current_app.secret_key.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
