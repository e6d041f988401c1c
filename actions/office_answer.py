"""Answers about the community's own offices (hours, phone numbers, addresses), from its settings.

Kept apart from the catalog answers: these name no service and are filled from the community's values
(`service_center_hours`, `property_phone` …), which are per-community example values.
"""

from __future__ import annotations

import datetime as dt
import re

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import phrase
from knowledge.offices import (
    OFFICES,
    Office,
    OfficeQuestion,
    day_asked,
    is_fixed_holiday,
    office_value,
    open_weekdays,
)
from knowledge.schema import CommunitySettings

WEEKDAY_NAMES = "一二三四五六日"


def _day_words(day: str | None, asked: dt.date | int | None) -> str:
    if isinstance(asked, dt.date) and day in ("今天", "明天", "后天"):
        return f"{day}周{WEEKDAY_NAMES[asked.weekday()]}，"
    return f"{day}" if day else ""


def _label(office: Office, community: CommunitySettings, domain: DomainDict) -> str:
    """What the office is called: the community's own name for it, else the response file's word."""
    own = office_value(community, office, "name")
    if own:
        return own
    return phrase(domain, f"utter_office_label_{office.key}")


def answer_office(dispatcher: CollectingDispatcher, question: OfficeQuestion, community: CommunitySettings,
                  today: dt.date, domain: DomainDict) -> None:
    """Say the office's hours (for the day asked, if any), phone number or address."""
    office = OFFICES[question.office]
    label = _label(office, community, domain)
    common = {"office": label, "community": community.name, "hotline": community.values.get("hotline", ""),
              "service_center_phone": community.values.get("service_center_phone", "")}
    if question.topic == "phone":
        phone = office_value(community, office, "phone")
        dispatcher.utter_message(response="utter_office_phone" if phone else "utter_office_phone_missing",
                                 phone=phone, **common)
        return
    if question.topic == "address":
        address = office_value(community, office, "address")
        if address:
            dispatcher.utter_message(response="utter_office_address", address=address, **common)
        else:
            dispatcher.utter_message(response="utter_office_phone_missing", **common)
        return
    hours = office_value(community, office, "hours")
    if not hours:
        dispatcher.utter_message(response="utter_office_hours_missing", **common)
        return
    _say_hours(dispatcher, question, hours, office_value(community, office, "address"), today, common)


def _say_hours(dispatcher: CollectingDispatcher, question: OfficeQuestion, hours: str, address: str,
               today: dt.date, common: dict[str, str]) -> None:
    asked = day_asked(question.day, today)
    days = open_weekdays(hours)
    if question.day and re.search(r"国庆|五一|元旦|节假日|假期|过节|春节", question.day):
        dispatcher.utter_message(response="utter_office_holiday", day=question.day, hours=hours, **common)
        return
    if isinstance(asked, dt.date) and is_fixed_holiday(asked):
        dispatcher.utter_message(response="utter_office_holiday", day=_day_words(question.day, asked).rstrip("，"),
                                 hours=hours, **common)
        return
    weekdays: list[int] = []
    if isinstance(asked, dt.date):
        weekdays = [asked.weekday()]
    elif isinstance(asked, int):
        weekdays = [asked]
    elif question.day == "周末":
        weekdays = [5, 6]
    if not weekdays or days is None:
        dispatcher.utter_message(response="utter_office_hours", hours=hours, address=address, **common)
        return
    said = _day_words(question.day, asked) or str(question.day)
    is_open = all(d in days for d in weekdays)
    if not is_open and any(d in days for d in weekdays):
        opened = "、".join(f"周{WEEKDAY_NAMES[d]}" for d in weekdays if d in days)
        said = opened + "上班，" + "、".join(f"周{WEEKDAY_NAMES[d]}" for d in weekdays if d not in days)
    dispatcher.utter_message(response="utter_office_day_open" if is_open else "utter_office_day_closed",
                             day=said, hours=hours, **common)
