"""Passages cut from the catalog for retrieval, and the text pairs the default encoder is trained on.

Each service yields one passage per facet: `name` (name and aliases), `summary`, `eligibility`,
`documents`, `steps`, `where` (where, hours, fees, time, online), `certificate` and one `faq` passage per
question. Placeholders such as `{service_center}` are kept in `Passage.text`, so the caller fills them
for the resident's own community, and are dropped from `Passage.index_text`: one index serves every
community, and values like an office address say nothing about which service a resident means (filled
from one community they would even make its street name match every service).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from knowledge.loader import Catalog
from knowledge.schema import Service

Facet = str  # name | summary | eligibility | documents | steps | where | certificate | faq
_PLACEHOLDER_RE = re.compile(r"\{[a-z_][a-z0-9_]*\}")
_CLAUSE_RE = re.compile(r"[，。；！？、,;!?\n（）()]+")
_MIN_CLAUSE_CHARS = 4


@dataclass(frozen=True)
class Passage:
    """One retrievable piece of one service."""

    service_id: str
    facet: Facet
    text: str

    @property
    def index_text(self) -> str:
        """The text that is indexed: placeholders dropped."""
        return strip_placeholders(self.text)

    def to_dict(self) -> dict[str, str]:
        """A plain dict for the index files."""
        return asdict(self)


def strip_placeholders(text: str) -> str:
    """Drop `{community_value}` placeholders, which differ by community and carry no service meaning."""
    return re.sub(r"\s+", " ", _PLACEHOLDER_RE.sub(" ", text)).strip()


def name_text(service: Service) -> str:
    """The service's name followed by its aliases: the passage every question about it should find."""
    return "；".join([service.name, *service.aliases])


def service_passages(service: Service) -> list[Passage]:
    """All passages of one service, in a fixed order."""
    sid = service.id
    out = [Passage(sid, "name", name_text(service)), Passage(sid, "summary", f"{service.name}：{service.summary}")]
    out.append(Passage(sid, "eligibility", f"{service.name}申请条件：{service.eligibility.text}"))
    if service.documents:
        docs = "、".join(d.name + (f"（{d.notes}）" if d.notes else "") for d in service.documents)
        out.append(Passage(sid, "documents", f"{service.name}需要带的材料：{docs}"))
    if service.steps:
        out.append(Passage(sid, "steps", f"{service.name}办理流程：" + "；".join(service.steps)))
    where = [f"办理地点：{service.where}", f"时间：{service.hours}", f"费用：{service.fees}"]
    if service.processing_time:
        where.append(f"办理时限：{service.processing_time}")
    if service.online:
        where.append(f"线上办理：{service.online}")
    out.append(Passage(sid, "where", f"{service.name}，" + "；".join(where)))
    if service.certificate is not None:
        c = service.certificate
        issued = "社区可以开具" if c.issued_by_committee else "社区不再开具"
        extra = f"；{c.where}" if c.where else ""
        out.append(Passage(sid, "certificate", f"{service.name}：{issued}。{c.alternative}{extra}"))
    out.extend(Passage(sid, "faq", f"{f.q} {f.a}") for f in service.faqs)
    return out


def build_passages(catalog: Catalog) -> list[Passage]:
    """Passages of every service, in catalog order (so a build is deterministic)."""
    return [p for s in catalog.services for p in service_passages(s)]


def _clauses(text: str) -> list[str]:
    """Short clauses of a longer text: training anchors shaped like the short questions residents ask."""
    return [c.strip() for c in _CLAUSE_RE.split(strip_placeholders(text)) if len(c.strip()) >= _MIN_CLAUSE_CHARS]


def catalog_pairs(catalog: Catalog) -> list[tuple[str, str]]:
    """(anchor, name passage) pairs: everything said about a service points at that service's name passage.

    One positive per service means in-batch negatives are always other services, never the same one.
    """
    pairs: list[tuple[str, str]] = []
    for s in catalog.services:
        target = name_text(s)
        anchors = [s.name, *s.aliases, *(f.q for f in s.faqs)]
        for p in service_passages(s):
            if p.facet != "name":
                anchors.append(p.index_text)
                anchors.extend(_clauses(p.text.split("：", 1)[-1]))
        pairs.extend((a, target) for a in dict.fromkeys(anchors) if a and a != target)
    return pairs


def nlu_pairs(
    nlu_dir: Path, catalog: Catalog, normalizer: Callable[[str], str] | None = None
) -> list[tuple[str, str]]:
    """(example, name passage) pairs for NLU examples whose `service` entity names a catalog id.

    Examples are typed or dictated the way residents write, so they pass through `normalizer` (the one
    queries go through); catalog text is written clean and is used as it is.
    """
    from bot.nlu.training_data import load_training_data

    if not Path(nlu_dir).exists():
        return []
    data = load_training_data(Path(nlu_dir))
    pairs: list[tuple[str, str]] = []
    for ex in data.examples:
        for ent in ex.entities:
            if ent.entity != "service":
                continue
            sid = ent.value if catalog.get(ent.value) else data.synonyms.get(ent.text, "")
            service = catalog.get(sid)
            if service is not None:
                pairs.append((normalizer(ex.text) if normalizer else ex.text, name_text(service)))
    return list(dict.fromkeys(pairs))


def training_pairs(
    catalog: Catalog, nlu_dir: Path | None, normalizer: Callable[[str], str] | None = None
) -> list[tuple[str, str]]:
    """All pairs for the default retrieval encoder, catalog first, without duplicates."""
    pairs = catalog_pairs(catalog)
    if nlu_dir is not None:
        pairs += nlu_pairs(nlu_dir, catalog, normalizer)
    return list(dict.fromkeys(pairs))


def passages_from_dicts(rows: Iterable[dict[str, str]]) -> list[Passage]:
    """Passages read back from the index files."""
    return [Passage(r["service_id"], r["facet"], r["text"]) for r in rows]


__all__ = [
    "Passage",
    "build_passages",
    "catalog_pairs",
    "name_text",
    "nlu_pairs",
    "passages_from_dicts",
    "service_passages",
    "strip_placeholders",
    "training_pairs",
]
