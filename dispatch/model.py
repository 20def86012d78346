"""The dispatch model: which category a request belongs to, with a calibrated probability and
the words that made it think so.

Features are sublinear TF-IDF weights of character n-grams (1-4, within words: robust to
jieba's segmentation, typing variants and English inflections) and of words and word pairs
(jieba for Chinese, Snowball stems for English); a linear support-vector machine with balanced
category weights (a rare category counts as much as a common one) scores every category, one
against the rest. Measured on the validation splits (bench/dispatch.py) against logistic
regression, complement naive Bayes, SGD and an SVM+LR blend, and against character 2-5-grams,
word 1-3-grams and unstemmed words: this was best or level everywhere, and the fastest.
Also measured without a gain on all three sets (validation and out-of-fold on train, issue 15):
NB-SVM (log-count-ratio scaled features), character 1-5-grams across word boundaries, the
title as its own weighted block, other word-block weights, stemmed plus unstemmed words, C=0.5
or 0.1, unbalanced weights, a ridge classifier, and an average of three SVMs on different
features; each won on at most two of the sets, by about the spread between equal settings.
Its margins are not probabilities, so they are calibrated by temperature scaling: one number,
fitted on out-of-fold margins to minimise the log loss, turns them into a softmax whose
confidence can be read as a chance of being right (the expected calibration error measures how
well). One temperature cannot reorder the categories, so calibration never costs accuracy.

The reason given for a category is the input's terms with the largest positive contribution
(TF-IDF weight times the category's coefficient) to its score; character n-grams count for
the words they occur in.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix
from scipy.special import log_softmax, softmax
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from core.clock import Clock, utcnow
from dispatch.text import normalize, tokenize, words_and_terms

# Bump when the saved payload or the meaning of a feature changes (normalisation, tokenisation,
# stop words in dispatch.text): a model trained before must then be trained again.
FORMAT_VERSION = 2
REASON_TERMS = 5
CHAR_NGRAMS = (1, 2, 3, 4)
_LOG_TEMPERATURE_BOUNDS = (-7.0, 4.0)


class DispatchModelError(ValueError):
    """The model cannot do what was asked (nothing to learn from, nothing to classify)."""


class ModelFormatError(DispatchModelError):
    """A saved model this version of the code must not load."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}; retrain it with `hotline dispatch train`"


@dataclass(frozen=True)
class LabelledText:
    """One training example: what was written and the category code it belongs to."""

    text: str
    label: str
    source: str = "file"  # "catalog", "case" or "file": where the example came from
    weight: float = 1.0


@dataclass(frozen=True)
class Suggestion:
    category_code: str
    probability: float
    matched_terms: tuple[str, ...]  # the reason: the input's terms that speak for it


@dataclass(frozen=True)
class TrainingParameters:
    """Chosen on the validation splits of the Chinese and the two English data sets (bench)."""

    # The SVM's inverse regularisation strengths tried: the one whose out-of-fold predictions
    # score the best macro-F1 is kept (short English reports want 0.3, long Chinese ones 1).
    c_choices: tuple[float, ...] = (0.3, 1.0)
    min_df: int = 2  # n-grams seen in fewer training texts are ignored
    balanced: bool = True  # weigh each category's errors by its rarity (macro-F1, rare units)
    calibration_folds: int = 3
    seed: int = 0


@dataclass
class ModelInfo:
    """What the JSON sidecar records about a model; `validation` is filled by evaluation."""

    model_id: str
    format_version: int
    trained_at: str
    labels: list[str]
    training_counts: dict[str, Any]  # examples, by_source, by_label
    temperature: float
    parameters: dict[str, Any]
    library_versions: dict[str, str]
    validation: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


class DispatchModel:
    """A trained pipeline plus its temperature; `train` makes one, `load` reads one."""

    def __init__(self, pipeline: Pipeline, temperature: float, info: ModelInfo) -> None:
        self.pipeline = pipeline
        self.temperature = temperature
        self.info = info
        self.labels: list[str] = [str(label) for label in pipeline.classes_]

    def predict(self, text: str, k: int = 3) -> list[Suggestion]:
        """The `k` likeliest categories for `text`, most likely first, with their reasons."""
        if k < 1:
            raise DispatchModelError(f"k must be at least 1, not {k}")
        features = self._features([text])
        probabilities = self._probabilities(features)[0]
        owners = _gram_owners(words_and_terms(text))
        order = np.argsort(-probabilities, kind="stable")[:k]
        return [
            Suggestion(
                category_code=self.labels[index],
                probability=float(probabilities[index]),
                matched_terms=self._reason(features, int(index), owners),
            )
            for index in order
        ]

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Calibrated probabilities, one row per text, columns in the order of `labels`."""
        return self._probabilities(self._features(texts))

    def save(self, path: Path) -> None:
        """The pipeline with joblib at `path`, what it is in a JSON sidecar beside it."""
        sidecar = sidecar_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format_version": FORMAT_VERSION,
            "model_id": self.info.model_id,
            "pipeline": self.pipeline,
            "temperature": self.temperature,
        }
        joblib.dump(payload, path)
        sidecar.write_text(
            json.dumps(asdict(self.info), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, path: Path) -> DispatchModel:
        """Read a saved model; refuse one of another format or scikit-learn version."""
        sidecar = sidecar_path(path)
        if not path.is_file():
            raise ModelFormatError(path, "no dispatch model at this path")
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelFormatError(path, f"its sidecar {sidecar.name} is missing") from exc
        except json.JSONDecodeError as exc:
            raise ModelFormatError(path, f"its sidecar {sidecar.name} is not JSON") from exc
        saved_format = meta.get("format_version") if isinstance(meta, dict) else None
        if saved_format != FORMAT_VERSION:
            raise ModelFormatError(
                path, f"model format {saved_format!r}, but this code reads format {FORMAT_VERSION}"
            )
        saved_sklearn = meta.get("library_versions", {}).get("scikit-learn")
        if saved_sklearn != sklearn.__version__:
            raise ModelFormatError(
                path,
                f"saved with scikit-learn {saved_sklearn}, but {sklearn.__version__} is installed",
            )
        payload = joblib.load(path)
        if not isinstance(payload, dict) or (
            payload.get("format_version"),
            payload.get("model_id"),
        ) != (FORMAT_VERSION, meta.get("model_id")):
            raise ModelFormatError(path, f"the sidecar {sidecar.name} describes another model")
        try:
            info = ModelInfo(**meta)
        except TypeError as exc:
            raise ModelFormatError(path, f"its sidecar {sidecar.name} has other fields") from exc
        return cls(payload["pipeline"], float(payload["temperature"]), info)

    def _features(self, texts: Sequence[str]) -> Any:
        for text in texts:
            if not normalize(text or ""):
                raise DispatchModelError(
                    "the text to classify is empty: describe the problem in words"
                )
        return self.pipeline.named_steps["features"].transform(list(texts))

    def _probabilities(self, features: Any) -> NDArray[np.float64]:
        scores = _margins(self.pipeline.named_steps["classifier"], features)
        return np.asarray(softmax(scores / self.temperature, axis=1), dtype=np.float64)

    def _reason(
        self, features: Any, class_index: int, owners: dict[str, list[str]]
    ) -> tuple[str, ...]:
        """The terms with the largest positive contribution to the class's score."""
        row = csr_matrix(features[:1])
        contributions = row.data * self._coefficients[class_index, row.indices]
        scores: defaultdict[str, float] = defaultdict(float)
        for feature, contribution in zip(row.indices, contributions, strict=True):
            kind, gram = self._feature_terms[feature]
            terms = gram.split(" ") if kind == "words" else owners.get(gram, [])
            for term in terms:
                scores[term] += float(contribution) / len(terms)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return tuple(term for term, score in ranked[:REASON_TERMS] if score > 0)

    @cached_property
    def _coefficients(self) -> NDArray[np.float64]:
        coef = np.asarray(self.pipeline.named_steps["classifier"].coef_, dtype=np.float64)
        return np.vstack([-coef, coef]) if coef.shape[0] == 1 else coef

    @cached_property
    def _feature_terms(self) -> list[tuple[str, str]]:
        """(vectorizer, term) per feature column: "chars"/"words" and the n-gram's text."""
        names = self.pipeline.named_steps["features"].get_feature_names_out()
        pairs = (str(name).split("__", 1) for name in names)
        return [(kind, gram.strip()) for kind, gram in pairs]


def train(
    examples: Sequence[LabelledText],
    *,
    parameters: TrainingParameters | None = None,
    clock: Clock = utcnow,
) -> DispatchModel:
    """Fit the pipeline on `examples` and calibrate its confidence on out-of-fold margins."""
    parameters = parameters or TrainingParameters()
    examples = [example for example in examples if normalize(example.text)]
    labels = sorted({example.label for example in examples})
    if len(labels) < 2:
        raise DispatchModelError(
            f"need examples of at least two categories to learn from, got {labels or 'none'}"
        )
    texts = [example.text for example in examples]
    y = np.array([example.label for example in examples])
    weights = np.array([example.weight for example in examples], dtype=np.float64)
    features = build_features(parameters)
    matrix = features.fit_transform(texts)
    c, temperature = _choose_c_and_temperature(matrix, y, weights, examples, parameters)
    classifier = _classifier(parameters, c).fit(matrix, y, sample_weight=weights)
    pipeline = Pipeline([("features", features), ("classifier", classifier)])
    info = ModelInfo(
        model_id=uuid.uuid4().hex[:12],
        format_version=FORMAT_VERSION,
        trained_at=clock().isoformat(),
        labels=labels,
        training_counts=_counts(examples),
        temperature=temperature,
        parameters={**asdict(parameters), "c": c},
        library_versions=_library_versions(),
    )
    return DispatchModel(pipeline, temperature, info)


def build_features(parameters: TrainingParameters) -> FeatureUnion:
    """TF-IDF of character 1-4-grams and of jieba/English-stem word 1-2-grams, side by side."""
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(min(CHAR_NGRAMS), max(CHAR_NGRAMS)),
        preprocessor=normalize,
        lowercase=False,
        sublinear_tf=True,
        min_df=parameters.min_df,
    )
    words = TfidfVectorizer(
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=parameters.min_df,
    )
    return FeatureUnion([("chars", chars), ("words", words)])


def sidecar_path(path: Path) -> Path:
    if path.suffix == ".json":
        raise DispatchModelError(f"{path}: the model file needs another suffix (e.g. .joblib)")
    return path.with_suffix(".json")


def _gram_owners(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """For every character n-gram the features can hold, the input terms whose written word
    it occurs in ("les" of "potholes" speaks for the term "pothol")."""
    owners: defaultdict[str, list[str]] = defaultdict(list)
    for word, term in dict.fromkeys(pairs):
        grams = {word[i : i + n] for n in CHAR_NGRAMS for i in range(len(word) - n + 1)}
        for gram in grams:
            if term not in owners[gram]:
                owners[gram].append(term)
    return owners


def _margins(classifier: LinearSVC, features: Any) -> NDArray[np.float64]:
    """One score per class and text; a binary SVM's single margin split as ±m/2."""
    scores = np.asarray(classifier.decision_function(features), dtype=np.float64)
    return np.column_stack([-scores / 2, scores / 2]) if scores.ndim == 1 else scores


def _classifier(parameters: TrainingParameters, c: float) -> LinearSVC:
    return LinearSVC(
        C=c,
        class_weight="balanced" if parameters.balanced else None,
        max_iter=10_000,
        random_state=parameters.seed,
    )


def _choose_c_and_temperature(
    matrix: Any,
    y: NDArray[Any],
    weights: NDArray[np.float64],
    examples: Sequence[LabelledText],
    parameters: TrainingParameters,
) -> tuple[float, float]:
    """The regularisation whose out-of-fold margins score the best macro-F1, and the
    temperature that minimises their log loss.

    Real texts (cases, files) are held out in turn; catalog phrasings stay in training. A
    category with fewer real texts than folds is never held out, so every fold model knows
    every category. With nothing to hold out the first C is kept and the temperature stays 1.
    """
    folds = _calibration_folds(examples, y, parameters)
    held_out = folds >= 0
    if not held_out.any():
        return parameters.c_choices[0], 1.0
    labels = sorted(set(y.tolist()))
    truth = np.array([labels.index(label) for label in y[held_out]])
    best: tuple[float, float, NDArray[np.float64]] | None = None
    for c in parameters.c_choices:
        margins = _out_of_fold_margins(_classifier(parameters, c), matrix, y, weights, folds)
        predicted = margins.argmax(axis=1)
        score = float(f1_score(truth, predicted, average="macro", zero_division=0))
        if best is None or score > best[1]:
            best = (c, score, margins)
    assert best is not None
    c, _, margins = best

    def log_loss(log_temperature: float) -> float:
        scaled = log_softmax(margins / np.exp(log_temperature), axis=1)
        return float(-scaled[np.arange(len(truth)), truth].mean())

    fitted = minimize_scalar(log_loss, bounds=_LOG_TEMPERATURE_BOUNDS, method="bounded")
    return c, float(np.exp(fitted.x))


def _out_of_fold_margins(
    classifier: LinearSVC,
    matrix: Any,
    y: NDArray[Any],
    weights: NDArray[np.float64],
    folds: NDArray[np.int64],
) -> NDArray[np.float64]:
    """The margins of every held-out text (fold >= 0) from a model trained without its fold."""
    positions = np.flatnonzero(folds >= 0)
    margins = np.zeros((len(positions), len(set(y.tolist()))))
    for fold in sorted(set(folds[positions].tolist())):
        train_rows = folds != fold
        test_rows = folds == fold
        model = clone(classifier).fit(
            matrix[train_rows], y[train_rows], sample_weight=weights[train_rows]
        )
        margins[np.searchsorted(positions, np.flatnonzero(test_rows))] = _margins(
            model, matrix[test_rows]
        )
    return margins


def _calibration_folds(
    examples: Sequence[LabelledText], y: NDArray[Any], parameters: TrainingParameters
) -> NDArray[np.int64]:
    """A fold number per example, -1 for examples that are always trained on."""
    folds = np.full(len(examples), -1, dtype=np.int64)
    real = np.array([example.source != "catalog" for example in examples])
    candidates = real if real.any() else np.ones(len(examples), dtype=bool)
    rng = np.random.default_rng(parameters.seed)
    for label in sorted(set(y.tolist())):
        rows = np.flatnonzero((y == label) & candidates)
        if len(rows) < parameters.calibration_folds:
            continue
        rng.shuffle(rows)
        folds[rows] = np.arange(len(rows)) % parameters.calibration_folds
    return folds


def _counts(examples: Sequence[LabelledText]) -> dict[str, Any]:
    return {
        "examples": len(examples),
        "by_source": dict(sorted(Counter(e.source for e in examples).items())),
        "by_label": dict(sorted(Counter(e.label for e in examples).items())),
    }


def _library_versions() -> dict[str, str]:
    return {"scikit-learn": sklearn.__version__, "jieba": version("jieba")}
