"""Task success of a conversation run, per category and per persona, as text or JSON."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bot.conversation_tests.runner import Outcome


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """Counts and rates: overall, per date, per category and per persona, with every failure."""

    def rate(group: list[Outcome]) -> dict[str, Any]:
        passed = sum(o.passed for o in group)
        return {"passed": passed, "total": len(group), "success": round(passed / len(group), 4) if group else 0.0}

    by: dict[str, dict[str, list[Outcome]]] = {"date": defaultdict(list), "category": defaultdict(list),
                                                "persona": defaultdict(list)}
    for o in outcomes:
        by["date"][o.date].append(o)
        by["category"][o.category].append(o)
        by["persona"][o.persona].append(o)
    conversations = {o.name for o in outcomes}
    return {
        "conversations": len(conversations),
        "runs": len(outcomes),
        **rate(outcomes),
        **{f"by_{key}": {k: rate(v) for k, v in sorted(groups.items())} for key, groups in by.items()},
        "failures": [{"name": o.name, "date": o.date, "category": o.category, "persona": o.persona,
                      "failures": o.failures, "transcript": o.transcript} for o in outcomes if not o.passed],
    }


def as_text(report: dict[str, Any], *, verbose: bool = False) -> str:
    """A readable report: failures first (with transcripts when verbose), then the tables."""
    lines: list[str] = []
    for f in report["failures"]:
        lines.append(f"FAIL {f['name']} [{f['category']}/{f['persona']}] on {f['date']}")
        lines.extend(f"    {x}" for x in f["failures"])
        if verbose:
            lines.extend(f"      | {t}" for t in f["transcript"])
    for key in ("date", "persona", "category"):
        lines.append(f"by {key}:")
        for name, r in report[f"by_{key}"].items():
            lines.append(f"  {name:<24} {r['passed']:>4}/{r['total']:<4} {r['success']:.1%}")
    lines.append(f"{report['conversations']} conversations, {report['runs']} runs: "
                 f"{report['passed']} passed, {report['runs'] - report['passed']} failed "
                 f"(task success {report['success']:.1%})")
    return "\n".join(lines)
