"""Why an intake was refused, in words a caller can act on; routes turn these into 4xx."""

from __future__ import annotations


class IntakeRejected(ValueError):
    """Bad input: nothing was written. `field` names the part of the request to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"
