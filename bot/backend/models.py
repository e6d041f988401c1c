"""Database models: everything a conversation, request, booking or rating leaves behind.

The plan asks for 社区服务档案信息化: every conversation, request, booking and rating is kept and
auditable, so rows are closed or cancelled by status, never deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from bot.backend.statuses import BookingStatus, EscalationStatus, JobStatus, WorkOrderStatus

# Row ids are 32-bit integers on PostgreSQL: a larger number names no row (and must not reach a query).
MAX_ROW_ID = 2**31 - 1


def utcnow() -> dt.datetime:
    """Timezone-aware now; every timestamp is stored in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on both databases; SQLite would otherwise hand back naive datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a JSON type that works on SQLite and PostgreSQL alike."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Community(TimestampMixin, Base):
    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    # Opening hours set by staff in the console ("08:30-12:00,13:30-18:00"); None keeps the settings file's.
    opening_hours: Mapped[str | None] = mapped_column(String(128))


class Resident(TimestampMixin, Base):
    __tablename__ = "residents"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    elderly_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    # The resident asked for no more community notices (停止通知); urgent warnings still reach them.
    notices_off: Mapped[bool] = mapped_column(Boolean, default=False)
    community: Mapped[Community] = relationship(lazy="joined")


class ChannelIdentity(TimestampMixin, Base):
    """How a resident is reached on one channel (Telegram user, web sender, WeCom id…)."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    resident: Mapped[Resident] = relationship(lazy="joined")


class Conversation(TimestampMixin, Base):
    """One resident's conversation on one channel; its dialogue state lives in `state`."""

    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("channel_identities.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    # bot: the assistant answers; handoff: staff answer and the assistant stays silent.
    status: Mapped[str] = mapped_column(String(16), default="bot")
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    identity: Mapped[ChannelIdentity] = relationship(lazy="joined")
    community: Mapped[Community] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class Message(TimestampMixin, Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    sender: Mapped[str] = mapped_column(String(16))  # resident | bot | staff
    text: Mapped[str] = mapped_column(Text, default="")
    # None is SQL NULL, not the JSON value null: a turn's rows name every column (bot.dialogue.engine).
    buttons: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    speech: Mapped[str | None] = mapped_column(Text)
    parse: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)


class WorkOrder(TimestampMixin, Base):
    """A 接诉即办 request: numbered, with deadlines and a history of status events."""

    __tablename__ = "work_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    category: Mapped[str] = mapped_column(String(16))
    service_id: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(256))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=WorkOrderStatus.PENDING, index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    ack_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    assignee: Mapped[str | None] = mapped_column(String(64))
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    events: Mapped[list[WorkOrderEvent]] = relationship(
        back_populates="work_order", order_by="WorkOrderEvent.id", lazy="selectin"
    )


class WorkOrderEvent(TimestampMixin, Base):
    __tablename__ = "work_order_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(64), default="system")
    work_order: Mapped[WorkOrder] = relationship(back_populates="events")


class Slot(Base):
    """A bookable time slot of one service in one community, cut from its opening hours."""

    __tablename__ = "slots"
    __table_args__ = (UniqueConstraint("community_id", "service_id", "start_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class Booking(TimestampMixin, Base):
    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    service_id: Mapped[str] = mapped_column(String(64))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    people: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(256))  # where a home service goes
    # What it holds of its slot's capacity: its people, or 1 for a room taken whole; NULL (older rows) = people.
    places: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=BookingStatus.BOOKED, index=True)
    reminder_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    rating_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    slot: Mapped[Slot] = relationship(lazy="joined")


class Rating(TimestampMixin, Base):
    """A 好差评 rating of a work order, a booking or a conversation."""

    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # work_order | booking | conversation
    subject_id: Mapped[int] = mapped_column(Integer)
    service_id: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(8))  # 好评 | 中评 | 差评
    label: Mapped[str] = mapped_column(String(16))  # 非常满意 … 非常不满意
    comment: Mapped[str] = mapped_column(Text, default="")
    follow_up_status: Mapped[str | None] = mapped_column(String(16))  # 待回访 | 已回访 | 已整改


class StaffUser(TimestampMixin, Base):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(64), default="")
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    role: Mapped[str] = mapped_column(String(16), default="staff")  # staff | street | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    community: Mapped[Community | None] = relationship(lazy="joined")


class StaffCommunity(Base):
    """A community a street-office account (role street, 街道) oversees; community staff keep `community_id`."""

    __tablename__ = "staff_communities"
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)


class StaffSession(TimestampMixin, Base):
    """A bearer token or console session; only the token's hash is stored."""

    __tablename__ = "staff_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    staff: Mapped[StaffUser] = relationship(lazy="joined")


class Escalation(TimestampMixin, Base):
    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # requested | fallback | emergency | bad_rating
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=EscalationStatus.WAITING, index=True)
    assigned_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(32))  # the danger of an emergency: fire, gas, fall…
    location: Mapped[str | None] = mapped_column(String(256))  # where it is, as the resident said it
    conversation: Mapped[Conversation] = relationship(lazy="joined")
    community: Mapped[Community] = relationship(lazy="joined")


class ProcessedInbound(TimestampMixin, Base):
    """Inbound message ids already handled, with the replies given, so a retry does nothing twice."""

    __tablename__ = "processed_inbound"
    # Per sender: one resident's message id never answers, or swallows, another resident's message.
    __table_args__ = (UniqueConstraint("channel", "sender", "message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    sender: Mapped[str] = mapped_column(String(128), default="")
    message_id: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    response: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Outbox(TimestampMixin, Base):
    """Messages to push to a resident later or through another channel; survives restarts."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))  # staff_reply | status | reminder | rating_request
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[Any] | None] = mapped_column(JSON)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The community notice this row carries, so a notice's delivered / waiting / failed counts are its rows'.
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)


class Notice(TimestampMixin, Base):
    """A notice staff sent to a community's residents (停水停电, 防灾预警, 疫苗接种, 活动通知).

    Push channels carry it in outbox rows (`Outbox.notice_id`), whose statuses are its counts; residents
    on the web chat get it in their transcript at once, counted in `in_chat`. `opted_out` counts residents
    left out because they stopped notices (never for an urgent one).
    """

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # A building (楼栋) or village group (村民小组) narrowing the audience, as staff typed it; None = everyone.
    area: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)  # as staff wrote it
    sent_text: Mapped[str] = mapped_column(Text)  # as residents got it, with heading and urgent marker
    in_chat: Mapped[int] = mapped_column(Integer, default=0)
    opted_out: Mapped[int] = mapped_column(Integer, default=0)
    community: Mapped[Community] = relationship(lazy="joined")


class DailyCounter(Base):
    """Per-prefix, per-day counters behind numbers like GD20261129001."""

    __tablename__ = "daily_counters"
    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class VolunteerSignup(TimestampMixin, Base):
    __tablename__ = "volunteer_signups"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    activity: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="已报名")


class AuditLog(TimestampMixin, Base):
    """Every action a staff member takes."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class NluCorrection(TimestampMixin, Base):
    """A staff correction of what the assistant understood, exported as training data."""

    __tablename__ = "nlu_corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(64))
    entities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))




class Bridge(TimestampMixin, Base):
    """A keyed front end that speaks for residents of one channel: a voice front end, a WeChat bridge.

    Only a hash of the key is kept (the key is shown once when the bridge is added); the prefix lets
    staff tell keys apart in `linli bridge list` without storing anything usable.
    """

    __tablename__ = "bridges"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    community_code: Mapped[str | None] = mapped_column(String(64))
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class LoginThrottleEntry(Base):
    """Failed sign-ins of one account or one client address, shared by every server process."""

    __tablename__ = "login_throttle"
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_allowed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AccessToken(Base):
    """An outside API's access token (WeChat, WeCom), shared by every process until it expires.

    One row per app; a process that finds it stale locks the row, so one refresh serves them all
    (WeChat invalidates the previous token on every refresh, and limits refreshes per day).
    """

    __tablename__ = "access_tokens"
    app: Mapped[str] = mapped_column(String(128), primary_key=True)
    token: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class KfSyncCursor(Base):
    """Where reading a WeCom customer-service account's messages (`kf/sync_msg`) has got to."""

    __tablename__ = "kf_sync_cursors"
    open_kfid: Mapped[str] = mapped_column(String(128), primary_key=True)
    cursor: Mapped[str] = mapped_column(String(256), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ConsoleJob(Base):
    """A long console task (retraining the NLU, rebuilding the index), shared by every server process.

    At most one job of a kind runs at a time across all processes (a unique index over the running
    ones); the process running it writes `heartbeat_at` while it works, so a job whose process died is
    seen as interrupted instead of running for ever.
    """

    __tablename__ = "console_jobs"
    __table_args__ = (
        Index("uq_console_jobs_running", "kind", unique=True,
              postgresql_where=text(f"status = '{JobStatus.RUNNING}'"),
              sqlite_where=text(f"status = '{JobStatus.RUNNING}'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.RUNNING)
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")

    @hybrid_method
    def silent_since(self, cutoff: dt.datetime) -> bool:
        """Running, with no heartbeat since `cutoff`: its process died. One condition for a loaded job
        (shown as failed) and in SQL (retired before a new one is claimed): `&` is `and` on booleans
        and AND on columns."""
        return (self.status == JobStatus.RUNNING) & (self.heartbeat_at < cutoff)


class RateCount(Base):
    """Requests of one sender or address in one minute, for rate limits shared by every server process.

    Used on PostgreSQL when no Redis is configured (`bot.backend.rate_limits`); rows older than two
    minutes are no longer read and are deleted now and then. The table is UNLOGGED there (migration
    0011): a crash forgets the last minute's counts, and no message waits for its count to reach disk.
    """

    __tablename__ = "rate_counts"
    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
