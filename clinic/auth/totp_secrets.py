"""Authenticator secrets, encrypted at rest.

A TOTP secret has to be readable to check a code, so it cannot be hashed like a password;
instead it is stored encrypted with AES-GCM under a key derived (HKDF-SHA256) from the app's
TOTP_ENCRYPTION_KEY, or from SECRET_KEY when that is not set. A copy of the database alone
then gives nobody the means to make codes. Each secret is bound to its staff member's id, so
one cannot be copied onto another account's row.
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# Stored as "<format>:<base64 of nonce + ciphertext>", so a later format can sit beside this one.
FORMAT = "v1"
NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """The stored secret does not open with this server's key: the key changed, or the row."""


def _cipher(key_material: str | None) -> AESGCM:
    config = current_app.config
    key_material = key_material or config.get("TOTP_ENCRYPTION_KEY") or config["SECRET_KEY"]
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"clinic totp secret v1"
    ).derive(key_material.encode())
    return AESGCM(key)


def _owner(user_id: int) -> bytes:
    return f"staff_user:{user_id}".encode()


def encrypt(user_id: int, secret: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(None).encrypt(nonce, secret.encode(), _owner(user_id))
    return f"{FORMAT}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(user_id: int, stored: str, key_material: str | None = None) -> str:
    """The secret, opened with the app's key, or with `key_material` (a key it had before)."""
    stored_format, _, encoded = stored.partition(":")
    try:
        if stored_format != FORMAT:
            raise ValueError(f"unknown format {stored_format!r}")
        data = base64.urlsafe_b64decode(encoded)
        nonce, sealed = data[:NONCE_BYTES], data[NONCE_BYTES:]
        plain = _cipher(key_material).decrypt(nonce, sealed, _owner(user_id))
    except (ValueError, InvalidTag) as error:
        raise SecretUnreadable(f"the authenticator secret of staff user {user_id}") from error
    return plain.decode()
