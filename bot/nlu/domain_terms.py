"""The domain vocabulary the NLU is built from: catalog names and aliases, synonyms, key terms.

Service mentions map to catalog ids; the same words (plus the key terms of `entities/words.yml`)
form the lexicon that speech-to-text slips are repaired against.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.nlu.entities.words import word_list
from bot.nlu.normalize import normalize_text
from bot.nlu.training_data import TrainingData

log = logging.getLogger("linli.nlu")
_CATALOG_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass
class DomainTerms:
    """Service surface forms (normalised) → catalog id, and the words of the repair lexicon."""

    service_patterns: dict[str, str] = field(default_factory=dict)
    lexicon_terms: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)


def catalog_names(catalog_dir: Path | None) -> list[tuple[str, str, bool]]:
    """(surface, service id, is the official name) for every catalog name and alias, in file order."""
    if catalog_dir is None or not Path(catalog_dir).is_dir():
        return []
    from knowledge.loader import load_catalog

    out: list[tuple[str, str, bool]] = []
    for s in load_catalog(Path(catalog_dir)).services:
        out.append((s.name, s.id, True))
        out.extend((a, s.id, False) for a in s.aliases)
    return out


def collect_terms(data: TrainingData, catalog_dir: Path | None) -> DomainTerms:
    """Gather the domain vocabulary from the catalog and the training data."""
    terms = DomainTerms()
    names = catalog_names(catalog_dir)
    known_ids = {sid for _, sid, _ in names}
    # Official names first, then aliases, then synonyms and annotations: the first claim on a surface wins.
    ordered = [(n, sid) for n, sid, official in names if official] + [(n, sid) for n, sid, off in names if not off]
    # Synonyms also come from other entities' annotations (八十二岁 → 82): only service ids are wanted.
    ordered += sorted((k, v) for k, v in data.synonyms.items() if v in known_ids or _is_service_id(v))
    for ex in data.examples:
        for e in ex.entities:
            if e.entity == "service":
                ordered.append((e.text, e.value))
            elif e.entity == "location" and not any(c.isdigit() for c in e.text):
                terms.places.add(normalize_text(e.text))  # place names, not house numbers
    for surface, sid in ordered:
        key = normalize_text(surface)
        if len(key) < 2:
            continue
        previous = terms.service_patterns.setdefault(key, sid)
        if previous != sid:
            log.debug("service surface %r claimed by %s and %s; keeping %s", key, previous, sid, previous)
    terms.lexicon_terms.update(terms.service_patterns)
    terms.lexicon_terms.update(normalize_text(t) for t in word_list("key_terms"))
    terms.lexicon_terms.update(
        normalize_text(k) for k, v in data.synonyms.items() if _is_service_id(v) or v in known_ids
    )
    return terms


def _is_service_id(value: str) -> bool:
    return bool(_CATALOG_ID.match(value)) and "-" in value and any(c.isalpha() for c in value)
