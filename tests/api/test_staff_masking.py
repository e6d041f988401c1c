"""The staff JSON API lists escalations and work orders with phone and ID numbers masked."""

from __future__ import annotations

import httpx

from bot.config import Settings
from tests.console.helpers import seed_escalation, seed_work_order
from tests.factories import make_staff

SON = "13987654321"
ID = "110101195001011234"


def _login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/staff/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_list_views_mask_numbers_in_resident_text(live: httpx.Client, settings: Settings) -> None:
    url = settings.database_url
    pw = make_staff(url, "zhang", "default")
    seed_escalation(url, "default", f"快打我儿子电话{SON}，我身份证{ID}", reason="emergency", urgent=True)
    seed_work_order(url, "default", description=f"漏水了，师傅来前打{SON}")
    staff = _login(live, "zhang", pw)

    [esc] = live.get("/api/v1/staff/escalations", headers=staff).json()
    assert esc["last_message"] == "快打我儿子电话139****4321，我身份证110***********1234"
    [order] = live.get("/api/v1/staff/work-orders", headers=staff).json()
    assert order["description"] == "漏水了，师傅来前打139****4321" and order["location"] == "3号楼2单元"
    listed = str(live.get("/api/v1/staff/escalations", headers=staff).json()) + str(order)
    assert SON not in listed and ID not in listed
