"""Account use cases: register, log in (issue a token), look a user up."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from shared.auth.passwords import Passwords
from shared.auth.tokens import TokenGrant, TokenIssuer
from shared.db.session import reading, transaction
from shared.db.types import utcnow
from shared.domain.errors import Conflict, NotFound, Unauthorized
from shared.domain.ids import new_id
from shared.domain.users import User, check_credentials, could_be_an_account, normalize_email
from shared.users.tables import UserRow
from shared.users.throttle import LoginThrottle


class UserAccounts:
    """The users context's use cases, over its own tables."""

    def __init__(self, engine: Engine, passwords: Passwords, issuer: TokenIssuer, throttle: LoginThrottle):
        self.engine, self.passwords, self.issuer, self.throttle = engine, passwords, issuer, throttle

    def register(self, email: object, password: object) -> User:
        """Create an account; raise InvalidInput or Conflict."""
        email, password = check_credentials(email, password)
        row = UserRow(id=new_id(), email=email, password_hash=self.passwords.hash(password), created_at=utcnow())
        try:
            with transaction(self.engine) as session:
                session.add(row)
        except IntegrityError as exc:
            raise Conflict("An account with this email already exists.") from exc
        return _user(row)

    def issue_token(self, email: object, password: object, client: str) -> TokenGrant:
        """Check the password and return an access token; raise Unauthorized or TooManyRequests."""
        if not isinstance(email, str) or not isinstance(password, str):
            raise Unauthorized("Wrong email or password.")
        email = normalize_email(email)
        # An email no account could have is not looked up or counted per email: it may not fit the columns
        # (PostgreSQL refuses NUL in text, the throttle's key is 300 characters). The client's count still runs.
        possible = could_be_an_account(email)
        account_key, client_key = f"email:{email}", f"client:{client}"
        with transaction(self.engine) as session:
            self.throttle.attempt(session, [account_key, client_key] if possible else [client_key])
            row = session.scalars(select(UserRow).where(UserRow.email == email)).one_or_none() if possible else None
        if row is None:
            self.passwords.dummy_check(password)
        if row is None or not self.passwords.matches(row.password_hash, password):
            raise Unauthorized("Wrong email or password.")  # the attempt stays counted, as a failure
        with transaction(self.engine) as session:
            self.throttle.succeeded(session, account_key, [client_key])
        return self.issuer.issue(row.id)

    def get_user(self, user_id: str) -> User:
        """Return the account or raise NotFound."""
        with reading(self.engine) as session:
            row = session.get(UserRow, user_id)
            if row is None:
                raise NotFound("No such user.")
            return _user(row)


def _user(row: UserRow) -> User:
    return User(id=row.id, email=row.email, created_at=row.created_at)
