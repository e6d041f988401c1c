"""Taking a rating: what it is about, one rating per exchange, and when a poor one is followed up."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from actions.judgement import read
from actions.rating import Exchange, rating_buttons
from actions.rating_subjects import Subject, narrow, pick
from bot.backend.models import Rating
from bot.backend.ratings import add_comment, amend_score
from bot.config import Settings
from tests.conftest import db_rows
from tests.factories import make_staff
from tests.resident import Resident

LIGHT = Subject("work_order", 1, None, "GD20261211001", "工单GD20261211001（楼道灯坏了）",
                words=("楼道灯坏了", "3号楼2单元楼道", "维修"))
MEAL = Subject("booking", 2, "meal-assistance", "YY20261211001", "助餐 12月15日",
               words=("助餐", "社区长者食堂助餐", "长者食堂"))
BATH = Subject("booking", 3, "bathing-assistance", "YY20261211002", "助浴 12月16日", words=("助浴", "上门助浴"))


def test_the_words_pick_what_is_rated_among_recent_things() -> None:
    everything = [LIGHT, MEAL, BATH]
    assert narrow(everything, read("饭菜太咸了"), "饭菜太咸了") == [MEAL]
    assert narrow(everything, read("修得很快"), "修得很快") == [LIGHT]
    assert narrow(everything, read("楼道灯那个挺好"), "楼道灯那个挺好") == [LIGHT]
    assert narrow(everything, read("差评"), "差评") == everything


def test_an_answer_names_one_of_the_choices_or_none() -> None:
    choices = [LIGHT, BATH]
    assert pick(choices, read("楼道灯那个"), "楼道灯那个", None) == LIGHT
    assert pick(choices, read("助浴"), "助浴", None) == BATH
    assert pick(choices, read("第二个"), "第二个", None) == BATH
    assert pick(choices, read("x"), "x", "GD20261211001") == LIGHT
    assert pick(choices, read("嗯"), "嗯", None) is None


def test_the_exchange_survives_the_slot_and_ignores_other_expectations() -> None:
    ex = Exchange(stage="grade", comment="饭菜太咸了", subject=MEAL.as_dict())
    event = ex.slot(dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC))
    again = Exchange.from_slot(event["value"])
    assert again == ex and Subject.from_dict(again.subject or {}) == MEAL
    assert Exchange.from_slot({"kind": "emergency_place"}) is None and Exchange.from_slot(None) is None


def test_grade_buttons_carry_the_ticket_and_read_as_the_five_grades() -> None:
    buttons = rating_buttons("GD20261211001")
    assert [b["title"] for b in buttons] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert all('"ticket_id":"GD20261211001"' in b["payload"] for b in buttons)


def test_a_later_score_amends_the_rating_and_its_follow_up() -> None:
    rating = Rating(score=5, grade="好评", label="非常满意", comment="", follow_up_status=None)
    change = amend_score(rating, 1)
    assert (rating.score, rating.grade, rating.label, rating.follow_up_status) == (1, "差评", "非常不满意", "待回访")
    assert change.now_poor and not change.no_longer_poor
    change = amend_score(rating, 2)
    assert not change.now_poor and rating.follow_up_status == "待回访"
    change = amend_score(rating, 4)
    assert change.no_longer_poor and rating.follow_up_status is None
    add_comment(rating, "饭太咸")
    add_comment(rating, "饭太咸")
    add_comment(rating, "送得晚")
    assert rating.comment == "饭太咸，送得晚"


def test_a_follow_up_staff_have_moved_on_is_kept() -> None:
    rating = Rating(score=1, grade="差评", label="非常不满意", comment="", follow_up_status="已回访")
    amend_score(rating, 4)
    assert rating.follow_up_status == "已回访"


def _closed_work_order(live: httpx.Client, database_url: str) -> tuple[Resident, list[dict[str, str]]]:
    """A resident files a request, staff close it; returns the resident and the pushed request's buttons."""
    r = Resident(live)
    r.say("楼道灯坏了")
    r.say("3号楼2单元楼道")
    r.say("13800138000")
    r.press("确认")
    number = re.search(r"GD\d{11}", r.text)
    assert number, r.text
    token = live.post("/api/v1/staff/login", json={"username": "zhang",
                                                    "password": make_staff(database_url, "zhang", "default")})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    closed = live.post(f"/api/v1/staff/work-orders/{number.group(0)}/status", headers=headers,
                       json={"status": "已办结", "note": ""})
    assert closed.status_code == 200, closed.text
    messages = live.get(f"/api/v1/conversations/{r.last['conversation_id']}/messages",
                        params={"token": r.last["conversation_token"]}).json()
    return r, messages[-1]["buttons"]


def test_the_pushed_rating_request_answered_by_a_button_and_again_makes_one_rating(
    live: httpx.Client, settings: Settings
) -> None:
    r, buttons = _closed_work_order(live, settings.database_url)
    assert [b["title"] for b in buttons] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    r.say(next(b["payload"] for b in buttons if b["title"] == "满意"))
    assert "工单" in r.text and "满意" in r.text
    r.say(next(b["payload"] for b in buttons if b["title"] == "不满意"))  # the resident changes their mind
    assert "改为不满意" in r.text and "回电话" in r.text
    assert db_rows(settings.database_url, "SELECT subject_type, score, follow_up_status FROM ratings") == [
        ("work_order", 2, "待回访")]


def test_a_changed_mind_from_poor_to_good_withdraws_the_call_back(live: httpx.Client, settings: Settings) -> None:
    r, _ = _closed_work_order(live, settings.database_url)
    r.say("差评")
    assert "回电话" in r.text
    r.say("不对，给五星")
    assert "非常满意" in r.text
    assert db_rows(settings.database_url, "SELECT score, follow_up_status FROM ratings") == [(5, None)]
    assert db_rows(settings.database_url, "SELECT reason, status FROM escalations") == [("bad_rating", "已关闭")]


def test_an_exchange_lasts_a_while_then_a_grade_is_something_new() -> None:
    at = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
    done = Exchange(stage="done", rating_id=1, subject=LIGHT.as_dict(), at=at.isoformat())
    assert done.current(at + dt.timedelta(minutes=10))
    assert not done.current(at + dt.timedelta(hours=2))
    assert not Exchange(stage="grade").current(at)  # never stamped: not a live exchange
