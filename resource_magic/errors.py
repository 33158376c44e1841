"""Domain errors: every mistake a user can make, with a one-line message that says what
to do.

Only the front ends (magics, widgets) turn these into messages; domain code just raises
them."""


class ResourceError(Exception):
    """Base of every error a user can cause; str(error) is the message they read."""


class InvalidInput(ResourceError):
    """A name, type, content, duration or option the store cannot accept."""


class NotFound(ResourceError):
    """No such resource for this user (missing and not-yours read the same)."""


class NameTaken(ResourceError):
    """A rename or import would collide with an existing resource name."""


class NotOwner(ResourceError):
    """The resource is visible (public) but only its owner may do this."""


class TokenRefused(ResourceError):
    """A token that is unknown, expired, used up or revoked: one message for all."""


class SecretFound(ResourceError):
    """Something about to become visible to others looks like a secret (a key, a
    token, a password); `finding` says where and what without the advice, and
    `old_version` is set when it is in a version before the current one."""

    def __init__(
        self, message: str, finding: str = "", old_version: int | None = None
    ) -> None:
        super().__init__(message)
        self.finding = finding
        self.old_version = old_version


class DatabaseUnavailable(ResourceError):
    """The database cannot be reached or opened."""


class SchemaBehind(DatabaseUnavailable):
    """A team database's schema is older than this package: its admin upgrades it."""


TOKEN_REFUSED_MESSAGE = (
    "That share token is not valid (mistyped, expired, used up or revoked): "
    "ask the owner for a new one."
)
