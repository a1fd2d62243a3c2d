"""The refusal every scoring operation raises, with a message for the user."""


class ScoringError(Exception):
    """A refusal with a message for the user (already translated when raised)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
