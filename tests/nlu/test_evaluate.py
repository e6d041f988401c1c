"""Scoring an NLU parser: how entity predictions are matched to annotations."""

from __future__ import annotations

from bot.nlu.evaluate import Prediction, entity_metrics
from bot.nlu.training_data import EntitySpan, Example

TEXT = "俺娘78岁了，订两份饭"


def scored(gold: tuple[EntitySpan, ...], found: tuple[tuple[str, int, int, str], ...]) -> dict:
    example = Example(TEXT, "ask_eligibility", gold)
    return entity_metrics([Prediction(example, "ask_eligibility", 0.9, False, found)])


def test_a_wider_span_with_the_annotated_value_counts_as_found() -> None:
    # Annotated as the bare number; the parser includes the unit. Same type, same value.
    m = scored((EntitySpan("age", 2, 4, "78", "78"),), (("age", 2, 5, "78"),))
    assert m["f1"] == 1.0
    assert m["exact"]["f1"] == 0.0


def test_an_overlapping_span_with_another_value_does_not_count() -> None:
    m = scored((EntitySpan("count", 8, 9, "两", "2"),), (("count", 8, 10, "3"),))
    assert (m["precision"], m["recall"]) == (0.0, 0.0)


def test_the_wrong_type_over_the_same_words_does_not_count() -> None:
    m = scored((EntitySpan("age", 2, 5, "78岁", "78"),), (("count", 2, 5, "78"),))
    assert m["f1"] == 0.0
    assert m["per_entity"]["age"]["recall"] == 0.0 and m["per_entity"]["count"]["precision"] == 0.0


def test_one_prediction_matches_one_annotation() -> None:
    gold = (EntitySpan("count", 8, 9, "两", "2"), EntitySpan("count", 9, 10, "份", "份"))
    m = scored(gold, (("count", 8, 10, "2"),))
    assert (m["precision"], m["recall"]) == (1.0, 0.5)
