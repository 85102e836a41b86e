"""Password hashing with argon2id (OWASP's first choice)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's recommended minimum for argon2id (19 MiB, 2 passes, 1 lane): about a third of the CPU of
# argon2-cffi's default profile, which matters on a 2-core server that also hashes on every login.
OWASP_ARGON2ID = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}


class Passwords:
    """Hash and check passwords with argon2id."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self._hasher = hasher or PasswordHasher(**OWASP_ARGON2ID)

    def hash(self, password: str) -> str:
        """Return an encoded argon2id hash with its own salt and parameters."""
        return self._hasher.hash(password)

    def matches(self, encoded: str, password: str) -> bool:
        """Tell whether the password matches the stored hash."""
        try:
            return self._hasher.verify(encoded, password)
        except (VerificationError, InvalidHashError):
            return False

    def dummy_check(self, password: str) -> None:
        """Spend the same time as a real check, so unknown emails cannot be told apart by timing."""
        self.matches(self._dummy_hash(), password)

    def _dummy_hash(self) -> str:
        if not hasattr(self, "_dummy"):
            self._dummy = self._hasher.hash("twintag-dummy-password")
        return self._dummy
