"""The laptop's secret key: `hotline up` makes one once and keeps it in var/secret_key (0600).

A deployment sets HOTLINE_SECRET_KEY itself (deploy/README.md); this file only saves a laptop
user from inventing one, and from the forgeable placeholder of old.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cli.supervisor import StartupError
from core.settings import secret_key_problem

SECRET_FILE = "secret_key"


def laptop_secret_key(var_dir: Path) -> tuple[str, Path]:
    """The secret kept under `var_dir`, made (48 random bytes) the first time; and its path."""
    path = var_dir / SECRET_FILE
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)  # whoever loosened it: only its owner reads it
        secret = path.read_text().strip()
        problem = secret_key_problem(secret)
        if problem:
            raise StartupError(f"{path}: {problem}; or delete the file to get a new one") from None
        return secret, path
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret, path
