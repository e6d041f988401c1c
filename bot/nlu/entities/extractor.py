"""All entity rules together: propose candidates, keep those the span filter accepts, settle overlaps,
and map spans back to the original message."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping

from bot.nlu.entities.base import Found
from bot.nlu.entities.contact import find_phones, find_tickets
from bot.nlu.entities.dates import find_dates
from bot.nlu.entities.names import NameFinder
from bot.nlu.entities.places import PlaceFinder
from bot.nlu.entities.quantities import find_ages, find_counts, find_ratings
from bot.nlu.entities.service import ServiceMatcher
from bot.nlu.entities.span_filter import SpanFilter
from bot.nlu.entities.times import find_times
from bot.nlu.mapped_text import MappedText
from bot.nlu.types import EntityDict

# Between two finds of the same length, the earlier kind here wins (活动室 is a service before a place).
PRIORITY = (
    "ticket_id",
    "phone",
    "service",
    "date",
    "time",
    "age",
    "count",
    "rating",
    "person_name",
    "location",
)
# A date and a time may share a span: 今晚 is both today and the evening.
_MAY_SHARE = frozenset({"date", "time"})


def resolve(found: Iterable[Found]) -> list[Found]:
    """Keep the longest finds; among equals, the kind listed first in PRIORITY."""
    ranked = sorted(set(found), key=lambda f: (-f.length, PRIORITY.index(f.entity), f.start, str(f.value)))
    kept: list[Found] = []
    for f in ranked:
        clash = False
        for k in kept:
            if f.start < k.end and k.start < f.end:
                same_span = (f.start, f.end) == (k.start, k.end)
                if not (same_span and f.entity != k.entity and {f.entity, k.entity} <= _MAY_SHARE):
                    clash = True
                    break
        if not clash:
            kept.append(f)
    return sorted(kept, key=lambda f: (f.start, PRIORITY.index(f.entity)))


# Numbers people write with separators; other entities never run across punctuation.
_MAY_SPAN_GAPS = frozenset({"phone", "ticket_id"})


def gaps_of(mt: MappedText) -> frozenset[int]:
    """Positions of the normalised text where punctuation or a space was removed just before."""
    out = set()
    for i in range(1, len(mt.text)):
        removed = mt.original[mt.ends[i - 1] : mt.starts[i]]
        if removed and any(c.isspace() or unicodedata.category(c)[0] == "P" for c in removed):
            out.add(i)
    return frozenset(out)


def _within_phrase(f: Found, gaps: frozenset[int]) -> bool:
    return f.entity in _MAY_SPAN_GAPS or not any(f.start < g < f.end for g in gaps)


class EntityExtractor:
    """Finds every entity kind; built once from what training learnt (service forms, places, filter)."""

    def __init__(
        self,
        service_patterns: Mapping[str, str],
        extra_places: Iterable[str] = (),
        span_filter: SpanFilter | None = None,
    ) -> None:
        self.services = ServiceMatcher(service_patterns)
        self.places = PlaceFinder(extra_places)
        self.names = NameFinder()
        self.filter = span_filter or SpanFilter({}, [])

    def candidates(self, text: str, now: dt.datetime, gaps: frozenset[int] = frozenset()) -> list[Found]:
        """Every candidate entity of normalised text, overlapping ones included."""
        found: list[Found] = []
        found += self.services.find(text)
        found += find_tickets(text)
        found += find_phones(text)
        found += find_dates(text, now)
        found += find_times(text)
        found += find_ages(text)
        found += find_counts(text)
        found += find_ratings(text)
        found += self.places.find(text, gaps)
        found += self.names.find(text, gaps)
        found = [f for f in found if _within_phrase(f, gaps)]
        return sorted(set(found), key=lambda f: (f.start, f.end, f.entity, str(f.value)))

    def find(self, mt: MappedText, now: dt.datetime) -> list[Found]:
        """Entities of normalised text, filtered and without overlaps, offsets still normalised."""
        gaps = gaps_of(mt)
        cands = self.candidates(mt.text, now, gaps)
        return resolve(self.filter.keep(cands, mt.text, gaps))

    @staticmethod
    def to_dicts(mt: MappedText, found: Iterable[Found]) -> list[EntityDict]:
        """Finds of `find` in Rasa's shape, with start/end/text referring to the original message."""
        out: list[EntityDict] = []
        for f in found:
            start, end = mt.span(f.start, f.end)
            out.append(
                EntityDict(
                    entity=f.entity,
                    start=start,
                    end=end,
                    value=f.value if f.value != "" else mt.original[start:end],
                    extractor=f.extractor,
                    text=mt.original[start:end],
                )
            )
        return out
