"""Photos a resident sent, waiting in the conversation's state for the request they belong to.

A resident often sends the photo of a broken light first and describes it after; the request form reads
`photos` from the metadata of the message that files the request. The photos wait in the conversation's
stored state, not in a channel's memory: with several workers behind a load balancer the photo and the
message that files the request may reach different processes, and a restart between them must not lose
the photo either. Photos older than half an hour no longer belong to what the resident is saying now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

KEEP_FOR = dt.timedelta(minutes=30)
MAX_PHOTOS = 10
_STATE_KEY = "pending_photos"


def gather(state: dict[str, Any], metadata: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The turn's metadata with every waiting photo (this message's included) as `photos`.

    The message's own `photo` (or `photos`) joins the waiting ones in `state`, kept by file id, newest last.
    """
    kept = state.get(_STATE_KEY) or {}
    photos: list[str] = []
    if kept.get("ids") and now - dt.datetime.fromisoformat(str(kept.get("at"))) <= KEEP_FOR:
        photos = [str(p) for p in kept["ids"]]
    new = list(metadata.get("photos") or []) if isinstance(metadata.get("photos"), list) else []
    if metadata.get("photo"):
        new.append(metadata["photo"])
    for photo in (str(p) for p in new):
        if photo not in photos:
            photos.append(photo)
    photos = photos[-MAX_PHOTOS:]
    if new:
        state[_STATE_KEY] = {"ids": photos, "at": now.isoformat()}
    elif not photos:
        state.pop(_STATE_KEY, None)
    out = dict(metadata)
    if photos:
        out["photos"] = photos
    return out


def settle(state: dict[str, Any], event_kinds: Sequence[str]) -> None:
    """Forget the waiting photos once the turn filed the work order they went with."""
    if "work_order_filed" in event_kinds:
        state.pop(_STATE_KEY, None)
