"""The error every refusal a user can cause derives from, so pages and the CLI catch one kind."""


class StoreError(ValueError):
    """Something a user asked for cannot be done; the message says what and what was expected."""


class NotFoundError(StoreError):
    """Something asked for by its id (a system, place, round, action, role, comment) does not exist."""
