"""Users: the rules for an account's email and password."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from shared.domain.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254
# Deliberately simple: one @, a dot in the domain, no spaces or control characters. Real proof of ownership is a
# mail, not a regex. openapi.yaml states the same pattern.
_NOT_IN_EMAIL = r"@\s\x00-\x1f\x7f-\x9f\ufeff"
_EMAIL = re.compile(rf"^[^{_NOT_IN_EMAIL}]{{1,64}}@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]+$")


@dataclass(frozen=True)
class User:
    """A registered account."""

    id: str
    email: str
    created_at: datetime


def normalize_email(email: str) -> str:
    """Return the canonical form under which an email is stored and looked up."""
    return email.strip().lower()


def could_be_an_account(email: str) -> bool:
    """Tell whether a normalized email passes the rules every account's email passed when it registered."""
    return len(email) <= MAX_EMAIL_LENGTH and _EMAIL.match(email) is not None


def check_credentials(email: object, password: object) -> tuple[str, str]:
    """Validate a registration request; return (email, password) or raise InvalidInput listing every problem."""
    errors = []
    if not isinstance(email, str) or len(email) > MAX_EMAIL_LENGTH or not could_be_an_account(normalize_email(email)):
        errors.append({"field": "email", "message": "must be a valid email address"})
    if not isinstance(password, str):
        errors.append({"field": "password", "message": "must be a string"})
    elif not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        errors.append({"field": "password",
                       "message": f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"})
    elif "\x00" in password:
        errors.append({"field": "password", "message": "must not contain NUL characters"})
    if errors:
        raise InvalidInput("The account details are not valid.", errors=errors)
    return normalize_email(email), password
