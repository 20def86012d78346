"""Why an intake was refused, in words a caller can act on; routes turn these into 4xx."""

from __future__ import annotations

from core.i18n import Domain, translate
from models.enums import Language


class IntakeRejected(ValueError):
    """Bad input: nothing was written. `field` names the part of the request to fix.

    `message` is the English a machine client and the log get; `template` (a citizen text
    marked with `N_`) and `params` let a page or a chat say the same in the citizen's language.
    """

    def __init__(self, field: str, template: str, **params: object) -> None:
        self.field = field
        self.template = template
        self.params = params
        self.message = template.format(**params)
        super().__init__(self.message)

    def said_in(self, language: Language) -> str:
        return translate(language, Domain.citizen, self.template).format(**self.params)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"
