"""Refusals of the scan package, each with a message for the user (translated when raised)."""


class ScanError(Exception):
    """A page or a form that cannot be read or accepted; ``code`` is stable for tests and the pages."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ScanUnsupported(ScanError):
    """The scheme cannot be read from boxes (points written by hand)."""
