"""The 社区通知 page: staff send a notice to a community they may see; web residents have it in their chat,
the list shows the counts; other communities, bad forms and forged posts are refused."""

from __future__ import annotations

import re

import httpx

from tests.conftest import db_rows
from tests.console.conftest import ConsoleServer
from tests.console.figures_seeds import make_street_office
from tests.console.helpers import console_client, page_csrf
from tests.factories import make_staff
from tests.resident import Resident


def _row(html: str, notice_id: int) -> str:
    found = re.search(rf'data-notice="{notice_id}">(.*?)</tr>', html, re.S)
    assert found, notice_id
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def _chat(api: httpx.Client, conv_id: int, token: str) -> list[str]:
    """What the web chat shows the resident, in order."""
    return [m["text"] for m in api.get(f"/api/v1/conversations/{conv_id}/messages", params={"token": token}).json()]


def _send(client: httpx.Client, **form: str) -> httpx.Response:
    return client.post("/console/notices", data={"csrf": page_csrf(client, "/console/notices"), **form})


def test_staff_send_a_notice_that_web_residents_find_in_their_chat(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with httpx.Client(base_url=console.url, timeout=30) as api, console_client(console.url, "zhang", pw) as zhang:
        resident = Resident(api)
        resident.say("你好")
        conv_id, token = resident.last["conversation_id"], resident.last["conversation_token"]
        page = zhang.get("/console/notices").text
        assert 'href="/console/notices" class="on"' in page and "还没有发过通知" in page
        assert re.findall(r'<option value="([^"]+)"', page)[:1] == ["default"]
        assert "报修工单里的位置" in page  # the help says where buildings are known from

        r = _send(zhang, community="default", kind="water_power", text="明天上午9点到12点停水，请提前储水。",
                  area="")
        assert r.status_code == 303
        notice_id = int(r.headers["location"].rsplit("=", 1)[1])
        listed = zhang.get(r.headers["location"]).text
        assert "通知已发出" in listed
        assert _row(listed, notice_id).endswith("停水停电 全社区 明天上午9点到12点停水，请提前储水。 1 0 0 0")

        shown = api.get(f"/api/v1/conversations/{conv_id}/messages", params={"token": token}).json()
        assert shown[-1]["sender"] == "staff"
        assert shown[-1]["text"].startswith("【")
        assert "停水停电】明天上午9点到12点停水" in shown[-1]["text"]

    assert db_rows(console.database_url, "SELECT action, object_id FROM audit_log WHERE action = 'send_notice'") == [
        ("send_notice", str(notice_id))]


def test_an_urgent_warning_is_marked_in_the_list(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with console_client(console.url, "zhang", pw) as zhang:
        r = _send(zhang, community="default", kind="disaster", text="今晚台风登陆，请勿外出。", area="3号楼")
        notice_id = int(r.headers["location"].rsplit("=", 1)[1])
        row = _row(zhang.get("/console/notices").text, notice_id)
        assert "防灾预警 紧急 3号楼" in row and row.endswith("0 0 0 0")  # nobody said they live in 3号楼
    assert db_rows(console.database_url, "SELECT urgent FROM notices") == [(True,)]


def test_other_communities_bad_forms_and_forged_posts_are_refused(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    make_staff(console.database_url, "li", "qinghe-village")
    with console_client(console.url, "zhang", pw) as zhang:
        assert _send(zhang, community="qinghe-village", kind="activity", text="村里放电影").status_code == 404
        empty = _send(zhang, community="default", kind="activity", text="   ")
        assert empty.status_code == 422 and "请填写通知内容" in empty.text
        long = _send(zhang, community="default", kind="activity", text="长" * 301)
        assert long.status_code == 422 and "长" * 301 in long.text  # kept in the form to shorten
        assert _send(zhang, community="default", kind="lottery", text="中奖").status_code == 422
        forged = zhang.post("/console/notices", data={"csrf": "x", "community": "default", "kind": "activity",
                                                      "text": "周六义诊"})
        assert forged.status_code == 403
    assert db_rows(console.database_url, "SELECT count(*) FROM notices") == [(0,)]


def test_a_street_office_sends_to_each_of_its_communities_and_sees_only_theirs(console: ConsoleServer) -> None:
    pw = make_street_office(console.database_url, "jiedao", ["default", "qinghe-village"])
    other = make_staff(console.database_url, "wang", "elsewhere")
    with console_client(console.url, "wang", other) as wang:
        assert _send(wang, community="elsewhere", kind="activity", text="别处的活动").status_code == 303
    with console_client(console.url, "jiedao", pw) as street:
        page = street.get("/console/notices").text
        assert re.findall(r'<option value="([^"]+)"', page)[:2] == ["default", "qinghe-village"]
        assert "别处的活动" not in page
        assert _send(street, community="qinghe-village", kind="vaccination", text="周四打疫苗").status_code == 303
        assert _send(street, community="elsewhere", kind="activity", text="越权").status_code == 404
        assert "周四打疫苗" in street.get("/console/notices").text


def test_a_resident_who_said_stop_misses_ordinary_notices_but_not_a_typhoon_warning(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with httpx.Client(base_url=console.url, timeout=30) as api, console_client(console.url, "zhang", pw) as zhang:
        resident = Resident(api)
        resident.say("以后别给我发通知了")
        assert "紧急预警" in resident.text
        conv_id, token = resident.last["conversation_id"], resident.last["conversation_token"]
        _send(zhang, community="default", kind="activity", text="周六上午社区义诊。")
        _send(zhang, community="default", kind="disaster", text="今晚台风登陆，请勿外出。")
        texts = _chat(api, conv_id, token)
        assert not any("义诊" in t for t in texts)
        assert texts[-1].startswith("【紧急】") and "台风" in texts[-1]
        listed = zhang.get("/console/notices").text
        assert _row(listed, 1).endswith("0 0 0 1")  # the activity: nobody reached, one resident opted out

        resident.say("恢复通知")
        _send(zhang, community="default", kind="activity", text="周日包饺子。")
        texts = _chat(api, conv_id, token)
        assert "周日包饺子" in texts[-1]
