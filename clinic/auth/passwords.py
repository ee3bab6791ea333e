"""Password hashing (argon2id) and the password policy: length only, no composition rules."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 10
MAX_LENGTH = 1024

POLICY_TEXT = f"At least {MIN_LENGTH} characters. Long passphrases are welcome."
# A message, not a secret (the linters read "password" in the name).
WRONG_CURRENT_PASSWORD = "That is not your current password."  # noqa: S105  # nosec B105


def _hasher() -> PasswordHasher:
    hasher = current_app.extensions.get("argon2")
    if hasher is None:
        config = current_app.config
        hasher = PasswordHasher(
            time_cost=config["ARGON2_TIME_COST"],
            memory_cost=config["ARGON2_MEMORY_COST"],
            parallelism=config["ARGON2_PARALLELISM"],
        )
        current_app.extensions["argon2"] = hasher
    return hasher


def policy_error(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def spend_verification_time(password: str) -> None:
    """Verify against a throwaway hash so an unknown email costs as long as a wrong password."""
    dummy = current_app.extensions.get("argon2_dummy")
    if dummy is None:
        dummy = current_app.extensions["argon2_dummy"] = hash_password("not-a-real-password")
    verify_password(dummy, password)
