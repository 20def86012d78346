"""Smart dispatch inside a worker: the model and the indexes loaded once, advice per case.

A worker with no trained model trains one on the catalog's leaves from their example phrasings
and the dispatchers' past decisions on first use (seconds), saves it, and says so in the log;
`hotline dispatch train` replaces it with one trained on more data.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.db import read_only
from core.settings import Settings
from dispatch.location import LocationIndex
from dispatch.model import DispatchModel
from dispatch.service import UnitCache, suggest
from dispatch.training import CategoryIndex, case_examples, catalog_examples, train_and_evaluate
from models.catalog import LEAF_LEVEL
from models.service import get_case_or_raise
from workflows.types import DispatchAdvice, SuggestedCategory

log = logging.getLogger("hotline.dispatch")


class SmartDispatcher:
    def __init__(self, *, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._lock = threading.Lock()
        self._model: DispatchModel | None = None
        self._categories: CategoryIndex | None = None
        self._locations: LocationIndex | None = None
        self._units = UnitCache(engine)

    def advise(self, number: str) -> DispatchAdvice:
        with read_only(self.engine) as connection, Session(connection) as session:
            case = get_case_or_raise(session=session, number=number)
            text, address = case.description, case.address
            latitude, longitude = case.latitude, case.longitude
        model, categories, locations = self._loaded()
        suggestion = suggest(
            text=text,
            address=address,
            latitude=latitude,
            longitude=longitude,
            model=model,
            engine=self.engine,
            threshold=self.settings.dispatch_threshold,
            categories=categories,
            locations=locations,
            units=self._units.current(),
        )
        return DispatchAdvice(
            automatic=suggestion.automatic,
            reason=suggestion.reason,
            unit_code=suggestion.unit.code if suggestion.unit else None,
            category_code=suggestion.category_code,
            suggestions=[
                SuggestedCategory(
                    category_code=c.category_code,
                    probability=round(c.probability, 4),
                    unit_code=c.unit.code if c.unit else None,
                    reason="; ".join(filter(None, [" ".join(c.matched_terms), c.unit_reason])),
                )
                for c in suggestion.categories
            ],
        )

    def warm_up(self) -> None:
        """Load (or train) before the first case asks: otherwise the first cases of a fresh
        worker each wait behind the training, and on a loaded machine their activity times
        out and is retried while the training goes on. A failure is only logged here; the
        activity reports it per case."""
        try:
            self._loaded()
        except Exception:  # the same failure reaches each case as a dispatch_suggestion_failed
            log.exception("smart dispatch could not load its model at worker start")

    def _loaded(self) -> tuple[DispatchModel, CategoryIndex, LocationIndex]:
        with self._lock:
            if self._categories is None:
                self._categories = CategoryIndex.from_engine(self.engine)
            if self._locations is None:
                self._locations = LocationIndex.from_engine(self.engine)
            if self._model is None:
                self._model = self._load_or_train(self._categories)
            return self._model, self._categories, self._locations

    def _load_or_train(self, categories: CategoryIndex) -> DispatchModel:
        path = self.settings.model_path
        if path.exists():
            return DispatchModel.load(path)
        log.warning("no dispatch model at %s: training one from the catalog and past cases", path)
        examples = catalog_examples(categories, level=LEAF_LEVEL) + case_examples(
            engine=self.engine, index=categories, level=LEAF_LEVEL
        )
        model, evaluation = train_and_evaluate(examples)
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
        log.warning(
            "dispatch model trained and saved to %s (%d examples, macro-F1 %.3f, accuracy %.3f, "
            "top-3 %.3f; `hotline dispatch eval` for the whole evaluation)",
            path,
            evaluation.examples,
            evaluation.macro_f1,
            evaluation.accuracy,
            evaluation.top3_accuracy,
        )
        return model
