"""Actions get their services from the turn that runs them, not from whichever runtime was built last."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from actions.runtime import get_services
from bot.bootstrap import build_runtime
from bot.config import Settings
from bot.dialogue.engine import InboundMessage
from bot.errors import ConfigurationError
from knowledge.loader import Catalog, load_catalog
from tests.conftest import FixedClock


def _renamed(catalog: Catalog, service_id: str, name: str) -> Catalog:
    """The same catalog with one service under another name."""
    return Catalog([s.model_copy(update={"name": name}) if s.id == service_id else s for s in catalog.services])


def test_two_engines_in_one_process_answer_from_their_own_catalogs(settings: Settings, nlu: Any, retriever: Any,
                                                                  clock: FixedClock) -> None:
    catalog = load_catalog(settings.catalog_dir)
    [service] = [s for s in catalog.services if s.name == "高龄津贴申领"]

    async def run() -> list[str]:
        first = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock, catalog=catalog)
        # Built second: with one process-wide set of services, it would answer for both engines.
        second = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock,
                               catalog=_renamed(catalog, service.id, "乙区高龄补贴"))
        try:
            turns = [(first if i % 2 == 0 else second).dialogue.handle(
                InboundMessage(sender=f"resident-{i}", text="高龄津贴要带什么材料", message_id=f"m{i}"))
                for i in range(6)]
            results = await asyncio.gather(*turns)  # interleaved at every database await
            return [" ".join(r.text for r in result.replies) for result in results]
        finally:
            await first.close()
            await second.close()

    answers = asyncio.run(run())
    assert all("高龄津贴申领" in a and "乙区高龄补贴" not in a for a in answers[0::2]), answers
    assert all("乙区高龄补贴" in a for a in answers[1::2]), answers


def test_actions_outside_a_turn_are_told_no_services_were_set() -> None:
    with pytest.raises(ConfigurationError):
        get_services()


def test_the_standalone_action_server_builds_its_services_once_and_sets_them_for_each_request(
        settings: Settings, retriever: Any, tmp_path: Path) -> None:
    from actions.runtime import build_action_services
    from actions.server import ServicesExecutor

    built: list[Any] = []

    def build() -> Any:
        built.append(build_action_services(settings, retriever=retriever))
        return built[-1]

    executor = ServicesExecutor(build)
    executor.register_package("actions")
    seen: list[Any] = []

    class Probe:
        async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[Any]:
            seen.append(get_services())
            return []

    executor.actions["action_probe"] = Probe().run  # type: ignore[assignment]
    call = {"next_action": "action_probe", "sender_id": "1", "version": "3.6.0", "domain": {},
            "tracker": {"sender_id": "1", "slots": {}, "latest_message": {}, "events": [], "paused": False,
                        "followup_action": None, "active_loop": {}, "latest_action_name": None}}
    asyncio.run(executor.run(call))
    asyncio.run(executor.run(call))
    assert len(built) == 1 and seen == [built[0], built[0]]
