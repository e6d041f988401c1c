"""The embedded NLU engine: Rasa's `/model/parse` answer, in-process, in about a millisecond.

Below the fallback threshold, or when the two best intents are closer than the ambiguity threshold, the
answer is `nlu_fallback` exactly as Rasa's FallbackClassifier gives it (the intent's confidence is the
threshold, and it is put first in the ranking), so the dialogue code treats both backends alike.
Input with nothing to understand (empty, emoji only, control characters, Latin letters that are no word
the model knows, digits too short to be a number worth reading) is `out_of_scope`; no input raises.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from bot.nlu.asr_repair import AsrRepairer
from bot.nlu.entities import EntityExtractor, Found
from bot.nlu.features import tokens
from bot.nlu.mapped_text import MappedText
from bot.nlu.model_io import NluModel, load_model
from bot.nlu.normalize import normalize
from bot.nlu.types import EntityDict, IntentScore, ParseResult
from bot.text import CJK

FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
RANKING_SIZE = 10
DEFAULT_MAX_CHARS = 2000
_CONTENT = re.compile(rf"[{CJK}]|\d{{3,}}")
_LATIN_WORD = re.compile(r"[a-z]+|\d+")


class EmbeddedNlu:
    """Parses messages with a trained model; immutable after construction, so safe across threads."""

    def __init__(
        self,
        model: NluModel,
        *,
        fallback_threshold: float = 0.45,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.model = model
        self.fallback_threshold = fallback_threshold
        self.ambiguity_threshold = float(model.meta.get("fallback", {}).get("ambiguity_threshold", 0.1))
        self.max_chars = max_chars
        self.repairer = AsrRepairer(model.lexicon, model.table)
        self.entities = EntityExtractor(model.service_patterns, model.places, model.span_filter)

    @classmethod
    def load(
        cls, model_dir: Path, *, fallback_threshold: float = 0.45, max_chars: int = DEFAULT_MAX_CHARS
    ) -> EmbeddedNlu:
        """Load a model directory written by `train_nlu` (raises ModelNotFoundError if absent)."""
        return cls(load_model(Path(model_dir)), fallback_threshold=fallback_threshold, max_chars=max_chars)

    @property
    def intents(self) -> list[str]:
        """The intents the model knows."""
        return list(self.model.classifier.intents)

    def understand(self, text: str) -> MappedText:
        """The normalised, repaired text the classifier and the entity rules read."""
        return self.repairer.repair(normalize(text, self.max_chars))

    def classify(self, mt: MappedText, found: Sequence[Found] = ()) -> list[IntentScore]:
        """All intents with calibrated confidences, best first (before any fallback)."""
        model = self.model
        spans = [(f.entity, f.start, f.end) for f in found]
        doc = tokens(mt.text, model.table, model.vectorizer.cfg, spans, model.gazetteer)
        idx, val = model.vectorizer.transform_one(doc)
        dense = model.encoder.encode(mt.text) if model.encoder is not None else None
        probs = model.classifier.probabilities(idx, val, dense)
        names = model.classifier.intents
        order = sorted(range(len(probs)), key=lambda i: (-probs[i], names[i]))
        return [IntentScore(name=names[i], confidence=float(probs[i])) for i in order]

    def has_content(self, text: str) -> bool:
        """Whether normalised text holds anything to understand: Chinese, a number, a known word."""
        if _CONTENT.search(text):
            return True
        return any(w in self.model.latin_words for w in _LATIN_WORD.findall(text))

    def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """Intent, ranking and entities of one message, in Rasa's `/model/parse` shape."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        text = text[: self.max_chars]
        mt = self.understand(text)
        if not self.has_content(mt.text):
            return self._out_of_scope(text)
        found = self.entities.find(mt, now or dt.datetime.now())
        ranking = self.classify(mt, found)[:RANKING_SIZE]
        intent = ranking[0]
        second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        if intent["confidence"] < self.fallback_threshold or intent["confidence"] - second < self.ambiguity_threshold:
            intent = IntentScore(name=FALLBACK_INTENT, confidence=self.fallback_threshold)
            ranking = [intent, *ranking]
        entities: list[EntityDict] = self.entities.to_dicts(mt, found)
        return ParseResult(text=text, intent=intent, intent_ranking=ranking, entities=entities)

    def _out_of_scope(self, text: str) -> ParseResult:
        """The answer for a message with nothing in it to understand."""
        others = [i for i in self.model.classifier.intents if i != OUT_OF_SCOPE][: RANKING_SIZE - 1]
        ranking = [IntentScore(name=OUT_OF_SCOPE, confidence=1.0)]
        ranking += [IntentScore(name=n, confidence=0.0) for n in others]
        return ParseResult(text=text, intent=ranking[0], intent_ranking=ranking, entities=[])
