"""Phone and ID numbers in the console: masked on every page, one click (audited) to call a resident."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Message
from tests.conftest import FixedClock, db_rows, next_week
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf, seed_escalation, seed_work_order
from tests.console.review_seeds import seed_rating
from tests.factories import make_staff
from tests.resident import Resident

MOBILE = "13812345678"
ID = "110101195001011234"
SON = "13987654321"
FELL = f"我摔倒了起不来，快打我儿子电话{SON}，我身份证{ID}"


def _reveals(database_url: str) -> list[tuple[int, str, str, str]]:
    rows = db_rows(database_url, "SELECT staff_id, action, object_type, object_id FROM audit_log "
                                 "WHERE action = 'reveal_phone' ORDER BY id")
    return [(r.staff_id, r.action, r.object_type, r.object_id) for r in rows]


def _staff_id(database_url: str, username: str) -> int:
    return int(db_rows(database_url, "SELECT id FROM staff_users WHERE username = :u", u=username)[0].id)


def _message_ids(database_url: str, conversation_id: int) -> list[int]:
    rows = db_rows(database_url, "SELECT id FROM messages WHERE conversation_id = :c ORDER BY id", c=conversation_id)
    return [int(r.id) for r in rows]


def _inline_script(html: str) -> list[str]:
    """Scripts a `script-src 'self'` policy would block: inline <script> bodies and on… attributes."""
    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=", html)


def _add_message(database_url: str, conversation_id: int, text: str, sender: str = "resident") -> int:
    """Another message in a conversation, with the phone the assistant found in it."""

    async def run() -> int:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            at = text.find(MOBILE)
            parse = {"text": text, "intent": {"name": "inform", "confidence": 0.9},
                     "entities": [{"entity": "phone", "value": MOBILE, "start": at, "end": at + len(MOBILE)}]}
            msg = Message(conversation_id=conversation_id, direction="in" if sender == "resident" else "out",
                          sender=sender, text=text, parse=parse, intent="inform", confidence=0.9)
            session.add(msg)
            await session.flush()
            found = msg.id
        await engine.dispose()
        return found

    return asyncio.run(run())


def test_a_transcript_is_masked_until_staff_reveal_one_message(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    make_staff(console.database_url, "li", "qinghe-village", password=pw)
    seeded = seed_escalation(console.database_url, "default", FELL, reason="emergency", urgent=True)
    second = _add_message(console.database_url, seeded.conversation_id, f"我自己的手机是{MOBILE}")
    elsewhere = seed_escalation(console.database_url, "default", f"别人的电话{MOBILE}")
    first_id, other_id = (_message_ids(console.database_url, c)[0]
                          for c in (seeded.conversation_id, elsewhere.conversation_id))
    detail = f"/console/escalations/{seeded.escalation_id}"
    with console_client(console.url, "zhang", pw) as zhang:
        inbox = zhang.get("/console/").text
        page = zhang.get(detail).text
        fragment = zhang.get(f"/console/fragments/escalations/{seeded.escalation_id}/transcript").text
        assert "138****5678" in inbox  # the latest message
        for html in (inbox, page, fragment):
            assert SON not in html and ID not in html and MOBILE not in html
        for html in (page, fragment):
            assert "139****4321" in html and "110***********1234" in html and "phone=138****5678" in html
        actions = re.findall(r'action="(/console/escalations/\d+/messages/(\d+)/reveal)"', page)
        assert [int(m) for _, m in actions] == [first_id, second]
        assert "显示号码" in page and _inline_script(page) == []

        first = actions[0][0]
        assert zhang.post(first, data={}).status_code == 403
        assert zhang.post(first, data={"csrf": "0" * 64}).status_code == 403
        assert _reveals(console.database_url) == []

        csrf = page_csrf(zhang, detail)
        shown = zhang.post(first, data={"csrf": csrf}, headers={"Accept": "application/json"})
        assert shown.status_code == 200 and shown.json() == {"text": FELL}
        assert shown.headers["cache-control"] == "no-store"
        other = f"/console/escalations/{seeded.escalation_id}/messages/{other_id}/reveal"
        assert zhang.post(other, data={"csrf": csrf}).status_code == 404  # a message of another conversation
        assert MOBILE not in zhang.get(detail).text  # the page itself stays masked
    with console_client(console.url, "li", pw) as li:
        assert li.post(first, data={"csrf": page_csrf(li)}).status_code == 404
    zhang_id = _staff_id(console.database_url, "zhang")
    assert _reveals(console.database_url) == [(zhang_id, "reveal_phone", "message", str(first_id))]


def test_a_work_order_shows_its_contact_masked_and_reveals_it_once_asked(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    make_staff(console.database_url, "li", "qinghe-village", password=pw)
    description = f"下水道堵了，师傅来之前先打我儿子电话{SON}"
    number, _ = seed_work_order(console.database_url, "default", description=description)
    path = f"/console/work-orders/{number}"
    with console_client(console.url, "zhang", pw) as zhang:
        listing = zhang.get("/console/work-orders").text
        page = zhang.get(path).text
        for html in (listing, page):
            assert "139****4321" in html and SON not in html and "13800001234" not in html
        assert "138****1234" in page and f'action="{path}/reveal"' in page and _inline_script(page) == []
        assert zhang.post(f"{path}/reveal", data={"csrf": "x"}).status_code == 403
        shown = zhang.post(f"{path}/reveal", data={"csrf": page_csrf(zhang, path)})
        assert shown.status_code == 200
        assert shown.json() == {"phone": "13800001234", "description": description, "location": "3号楼2单元"}
    with console_client(console.url, "li", pw) as li:
        assert li.post(f"{path}/reveal", data={"csrf": page_csrf(li)}).status_code == 404
    zhang_id = _staff_id(console.database_url, "zhang")
    assert _reveals(console.database_url) == [(zhang_id, "reveal_phone", "work_order", number)]


def test_a_booking_phone_is_revealed_for_its_own_community_only(console: ConsoleServer, clock: FixedClock) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    make_staff(console.database_url, "li", "qinghe-village", password=pw)
    day = next_week(clock.today, 2).isoformat()
    with httpx.Client(base_url=console.url, timeout=30) as api:
        number = Resident(api).book("我想预约下周三上午的助浴服务", phone="13500001111")
    path = f"/console/bookings?service=bathing-assistance&day={day}"
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get(path).text
        assert number in page and "135****1111" in page and "13500001111" not in page
        assert f'action="/console/bookings/{number}/reveal"' in page and _inline_script(page) == []
        csrf = page_csrf(zhang, path)
        assert zhang.post(f"/console/bookings/{number}/reveal", data={}).status_code == 403
        assert zhang.post(f"/console/bookings/{number}/reveal", data={"csrf": csrf}).json() == {"phone": "13500001111"}
        assert zhang.post("/console/bookings/YY20000101001/reveal", data={"csrf": csrf}).status_code == 404
    with console_client(console.url, "li", pw) as li:
        assert li.post(f"/console/bookings/{number}/reveal", data={"csrf": page_csrf(li)}).status_code == 404
    zhang_id = _staff_id(console.database_url, "zhang")
    assert _reveals(console.database_url) == [(zhang_id, "reveal_phone", "booking", number)]


def test_poor_rating_comments_are_masked_too(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    seed_rating(console.database_url, "default", 1, comment=f"修了三次都没好，回访请打{SON}")
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get("/console/ratings").text
    assert "回访请打139****4321" in page and SON not in page


CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.mark.browser
def test_one_click_shows_the_number_in_the_browser(console: ConsoleServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium; run `make browser`")
    pw = make_staff(console.database_url, "zhang", "default")
    number, _ = seed_work_order(console.database_url, "default", description=f"漏水了，也可以打{SON}")
    seeded = seed_escalation(console.database_url, "default", FELL)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(locale="zh-CN")
        page.goto(f"{console.url}/console/login")
        page.get_by_label("用户名").fill("zhang")
        page.get_by_label("密码").fill(pw)
        page.get_by_role("button", name="登录").click()
        page.goto(f"{console.url}/console/work-orders/{number}")
        facts = page.locator("section.head")
        expect(facts).to_contain_text("138****1234")
        page.get_by_role("button", name="显示号码").click()
        expect(facts).to_contain_text("13800001234")
        expect(facts).to_contain_text(SON)
        expect(page.get_by_role("button", name="显示号码")).to_be_hidden()

        page.goto(f"{console.url}/console/escalations/{seeded.escalation_id}")
        bubble = page.locator("#transcript li.msg").first
        expect(bubble).to_contain_text("139****4321")
        bubble.get_by_role("button", name="显示号码").click()
        expect(bubble).to_contain_text(SON)
        # A new message redraws the polled transcript; the number stays shown.
        with ThreadPoolExecutor(1) as pool:  # playwright's loop runs in this thread
            pool.submit(_add_message, console.database_url, seeded.conversation_id, f"还有我的手机{MOBILE}").result()
        expect(page.locator("#transcript li.msg")).to_have_count(2, timeout=15_000)
        expect(page.locator("#transcript li.msg").first).to_contain_text(SON)
        expect(page.locator("#transcript li.msg").nth(1)).to_contain_text("138****5678")
        browser.close()
    assert [r[2] for r in _reveals(console.database_url)] == ["work_order", "message"]
