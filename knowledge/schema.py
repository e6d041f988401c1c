"""The schema of the community public-service catalog.

A catalog file (`knowledge/catalog/*.yml`) holds `services:`, a list of `Service`. Text fields may use
placeholders such as `{service_center}` or `{hotline}`; they are filled from the community's settings
file (`knowledge/communities/<code>.yml`) because offices, phone numbers, hours and amounts differ by
place and must never be stated as national fact.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["info", "bookable", "certificate", "request"]
Domain = Literal[
    "养老", "托育", "助残", "救助", "就业", "卫生", "法律", "证明", "政务代办",
    "便民", "安全", "文教", "志愿", "婚姻家庭", "农村",
]
# Facts a structured eligibility condition may ask about, and the question put to the resident.
Fact = Literal[
    "age",                 # integer, years
    "hukou_local",         # bool: household registration (户籍) in this city/district
    "residence_local",     # bool: lives in this community (居住)
    "disability_grade",    # integer 1-4 (一级最重); 0 means no disability certificate
    "low_income",          # bool: 低保 or 低保边缘 family
    "special_hardship",    # bool: 特困供养人员
    "child_age_months",    # integer, months
    "employed",            # bool: currently employed
    "living_alone",        # bool: lives alone (独居) or only with a spouse
    "insured",             # bool: already enrolled in social insurance of the relevant kind
]
Op = Literal[">=", "<=", ">", "<", "==", "!=", "in"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Document(_Strict):
    """One proof document a resident brings."""

    name: str
    form: Literal["原件", "复印件", "原件和复印件", "电子版"] = "原件"
    count: int = Field(default=1, ge=1, le=20)
    notes: str = ""


class Condition(_Strict):
    """A rule that can be checked against one fact the resident tells us."""

    fact: Fact
    op: Op
    value: int | bool | str | list[int] | list[str]
    question: str = Field(description="how to ask the resident for this fact, one short question")
    fail_reason: str = Field(description="why the resident does not qualify when the rule fails")


class Eligibility(_Strict):
    """Who may use a service: plain text always, structured conditions where the rule is clear."""

    text: str
    conditions: list[Condition] = Field(default_factory=list)
    mode: Literal["all", "any"] = "all"
    # True when the conditions are the whole rule; otherwise meeting them is only part of it ("60周岁以上"
    # is not enough for 助浴, which also needs 行动不便), and a verdict must not say 符合 outright.
    complete: bool = False


class Faq(_Strict):
    """A common question with its answer."""

    q: str
    a: str


class Certificate(_Strict):
    """For kind `certificate`: whether the residents' committee still issues it, and what replaces it."""

    issued_by_committee: bool
    # Where a resident gets it, or what replaces it (data sharing, face authentication, 告知承诺…).
    alternative: str
    where: str = ""


class Booking(_Strict):
    """For kind `bookable`: how slots are cut from the community's opening hours, and what a booking takes.

    `unit` says what a slot's capacity counts. `place`: people, and a booking of three takes three places
    (a class, the canteen, a check-up). `room`: rooms, sessions or teams, and a booking takes one whole,
    whatever its size up to `max_people` (a meeting room, a counselling session with a couple): two groups
    of 15 and 20 never share a room sold per seat, and a couple is not refused a session for one.
    """

    unit: Literal["place", "room"] = "place"
    slot_minutes: int = Field(default=60, ge=15, le=480)
    capacity: int = Field(default=4, ge=1, le=500, description="places per slot (unit place) or rooms (unit room)")
    max_people: int = Field(default=2, ge=1, le=200, description="people per booking; for a room, its size")
    home_visit: bool = False
    # Opening hours override, e.g. "08:30-11:30,13:30-17:30"; default from community settings.
    hours: str | None = None
    weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4, 5, 6], description="0=Monday")

    @field_validator("weekdays")
    @classmethod
    def _real_weekdays(cls, v: list[int]) -> list[int]:
        """Weekdays are 0 (Monday) to 6 (Sunday), at least one."""
        if not v or any(not 0 <= d <= 6 for d in v):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday), at least one")
        return sorted(set(v))

    @model_validator(mode="after")
    def _a_full_party_fits(self) -> Booking:
        """Sold by the place, the largest party allowed must fit in one slot, or it is refused every day."""
        if self.unit == "place" and self.max_people > self.capacity:
            raise ValueError(
                f"max_people {self.max_people} exceeds capacity {self.capacity} of a slot sold by the place: "
                "raise capacity, lower max_people, or use unit: room when a booking takes the whole slot"
            )
        return self

    def places(self, people: int) -> int:
        """How much of a slot's capacity a booking of `people` takes."""
        return 1 if self.unit == "room" else people


class RequestInfo(_Strict):
    """For kind `request`: the work-order category it files under."""

    category: Literal["维修", "投诉", "求助", "建议", "安全隐患", "环境卫生"]


class Service(_Strict):
    """One service of the catalog."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str
    aliases: list[str] = Field(default_factory=list, description="colloquial names and common mishearings")
    domain: Domain
    kind: Kind
    summary: str
    eligibility: Eligibility
    documents: list[Document] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    where: str
    hours: str
    fees: str = "免费"
    processing_time: str = ""
    online: str = ""
    policy_basis: str = ""
    faqs: list[Faq] = Field(default_factory=list)
    last_reviewed: dt.date
    certificate: Certificate | None = None
    booking: Booking | None = None
    request: RequestInfo | None = None

    @field_validator("aliases")
    @classmethod
    def _unique_aliases(cls, v: list[str]) -> list[str]:
        """Keep aliases unique and non-empty."""
        seen: list[str] = []
        for a in v:
            if a and a not in seen:
                seen.append(a)
        return seen

    @model_validator(mode="after")
    def _kind_parts(self) -> Service:
        """Each kind carries its own part: certificate, booking or request."""
        if self.kind == "certificate" and self.certificate is None:
            raise ValueError("kind certificate needs a `certificate` part")
        if self.kind == "bookable" and self.booking is None:
            raise ValueError("kind bookable needs a `booking` part")
        if self.kind == "request" and self.request is None:
            raise ValueError("kind request needs a `request` part")
        return self


class CatalogFile(_Strict):
    """The top level of a catalog YAML file."""

    services: list[Service]


class CommunitySettings(_Strict):
    """Per-community values; the shipped files hold clearly marked example values."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    example: bool = Field(default=True, description="true while the values are examples, not real ones")
    address: str
    timezone: str = "Asia/Shanghai"
    opening_hours: str = Field(default="08:30-12:00,13:30-18:00", description="at least 8 hours a day")
    # Placeholder values for catalog text: service_center, service_center_hours, hotline, street_office …
    values: dict[str, str] = Field(default_factory=dict)
    # 接诉即办 deadlines per work-order category, in hours: acknowledge and complete.
    deadlines: dict[str, dict[str, int]] = Field(default_factory=dict)
    # Weekdays the office is staffed (Monday = 0): response deadlines run in opening time on these days.
    opening_days: list[int] = Field(default_factory=lambda: list(range(7)))
    # Categories someone is on duty for around the clock: their deadlines run on the wall clock.
    on_duty_categories: list[str] = Field(default_factory=lambda: ["紧急", "安全隐患"])

    @field_validator("opening_days")
    @classmethod
    def _weekdays(cls, v: list[int]) -> list[int]:
        if not v or any(not 0 <= d <= 6 for d in v):
            raise ValueError("opening_days lists weekdays 0 (Monday) to 6 (Sunday), at least one")
        return sorted(set(v))
