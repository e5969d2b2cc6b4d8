from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.errors import invalid

# Modest cost: logins stay fast on 2 cores; still memory-hard.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_PASSWORD = 8
MAX_PASSWORD = 200


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str | None) -> str:
    """The rule every new password follows (an admin's new user, a sign-up, a reset)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise invalid(f"the password needs at least {MIN_PASSWORD} characters", field="password",
                      reason="too_short")
    if len(password) > MAX_PASSWORD:
        raise invalid(f"the password may have at most {MAX_PASSWORD} characters", field="password",
                      reason="too_long")
    if not password.strip():
        raise invalid("the password cannot be only spaces", field="password", reason="blank")
    return password
