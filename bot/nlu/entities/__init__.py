"""Entity extraction: a spaCy EntityRuler for services and rules for dates, times, numbers, places, names."""

from bot.nlu.entities.base import Found
from bot.nlu.entities.extractor import EntityExtractor

__all__ = ["EntityExtractor", "Found"]
