"""Choices anyone can make: buttons said or written as numbered choices, and a number or words picking one.

A resident on the phone, in a terminal or by SMS cannot tap a button. Where nothing can be tapped the
buttons of a reply are also written out (1. 09:00（剩2个名额）…) or read out (请选：一、九点…); on every
channel the engine remembers the choices it offered, and the resident's next message picks one when it
is a number in range (1, 一, 幺, 第一个, 选二, 2号), the last one (最后一个), or names one with nothing else
said but fillers (嗯, 就, 吧, 那个): by an entity the NLU found in it (九点 is the time of the
`/inform{"time":"09:00"}` button) or by the words of the title (助浴 for 助浴服务). The pick then counts as
a press of that button. Anything else goes to the NLU as usual: a resident may ignore the choices.

A number is a pick only when it cannot be something else: never a phone-length digit string, never out
of range, not a bare number while the question asked was for a number (一共几位？), and when the choices
are themselves amounts (1位, 2位…) a number picks the one of that amount, not the one at that place.

Written by hand: no library matches spoken Chinese against a list of buttons; the values come from the
NLU's own entities and numbers (bot.nlu). Measured on the conversation suite (one process, picking on and
off): one conversation more passes with it, none fails because of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cn2an
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Message
from bot.dialogue.domain import Reply
from bot.nlu.numbers import cn_to_int
from bot.text import fold_width_case

STATE_KEY = "choices"
# Slots whose answer is a number: while one is asked, a bare number answers it rather than picks.
NUMBER_SLOTS = frozenset({"people", "phone", "age"})
# Longer than any list of choices and as long as the shortest numbers people dictate (12345, a room).
_LONG_DIGITS = re.compile(r"\d{5,}")
_PUNCT = re.compile(r"[\s\W_]+")
_BRACKETED = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
# Words around a pick that add nothing to it (就九点吧, 嗯那个第一个, 我选二). Negations (不, 别) are not
# here on purpose: 不要第一个 must not pick the first one.
_FILLERS = re.compile("|".join(sorted(
    "嗯 呃 啊 哦 噢 哎 唉 诶 喂 那个 这个 就是 那就 就 吧 呗 啦 呀 嘛 的 了 "
    "我要 我选 我想要 我想 要 选 给我 帮我 来 还是 那 好的 行 可以 请 麻烦 一下".split(), key=len, reverse=True)))
_NUM = r"(\d{1,2}|[一二两三四五六七八九十幺]{1,3})"
_ORDINAL = re.compile(rf"^(?:第{_NUM}(?:个|项|条|种|号|行)?|{_NUM}号)$")
_BARE_NUMBER = re.compile(rf"^{_NUM}(?:项|条)?$")
_LAST = re.compile(r"^最后(?:一个|一项|那个|一条)?$")
# Choices that are amounts (2位, a score of 5): a number said means that amount, not that place.
_AMOUNT = re.compile(rf"^{_NUM}(位|人|个|份|分|星|岁|天|次|间|张)$")
_AMOUNT_SAID = re.compile(rf"^{_NUM}(?:分|星|颗星|位|人|个人|个)?$")
VALUE_ENTITIES = ("rating", "count", "people")
_PAYLOAD = re.compile(r"^/[a-z_]+(\{.*\})?$", re.DOTALL)


@dataclass(frozen=True)
class Choice:
    """One offered choice: what the resident sees or hears, and the payload choosing it sends."""

    title: str
    payload: str


def offered_in(replies: Sequence[Reply]) -> list[Choice]:
    """The choices a turn offers: the buttons of its last reply that has any.

    That reply asks the question the resident answers next (an aside answered first, then the form's
    question again); buttons of earlier replies stay tappable but are neither numbered nor picked.
    """
    for r in reversed(replies):
        if r.buttons:
            return [Choice(b.title, b.payload) for b in r.buttons]
    return []


def remember(state: dict[str, Any], replies: Sequence[Reply]) -> None:
    """Keep the choices just offered in the conversation state (or forget old ones when none were)."""
    items = offered_in(replies)
    if items:
        state[STATE_KEY] = [{"title": c.title, "payload": c.payload} for c in items]
    else:
        state.pop(STATE_KEY, None)


def remembered(state: Mapping[str, Any]) -> list[Choice]:
    """The choices the last turn offered, as kept in the state."""
    items = state.get(STATE_KEY)
    if not isinstance(items, list):
        return []
    return [Choice(str(i["title"]), str(i["payload"])) for i in items
            if isinstance(i, dict) and "title" in i and "payload" in i]


async def offered(session: AsyncSession, conversation_id: int, state: Mapping[str, Any]) -> list[Choice]:
    """The choices on offer now: those of the newest message with buttons since the resident last wrote.

    Usually that is the last turn's, as the state remembers them; but a message pushed since (a rating
    request, a staff reply, the apology of a failed turn) does not touch the state, so the stored
    messages decide: one query over the messages of one conversation.
    """
    last_in = (select(func.max(Message.id))
               .where(Message.conversation_id == conversation_id, Message.direction == "in")
               .scalar_subquery())
    stmt = (select(Message.buttons)
            .where(Message.conversation_id == conversation_id, Message.direction == "out",
                   Message.id > func.coalesce(last_in, 0))
            .order_by(Message.id.desc()))
    for buttons in (await session.execute(stmt)).scalars():
        if buttons:
            newest = [Choice(str(b.get("title", "")), str(b.get("payload", ""))) for b in buttons]
            kept = remembered(state)
            return kept if kept == newest else newest
    return []


def payload_entities(payload: str) -> dict[str, str]:
    """The entity values a button payload carries (`/inform{"time":"09:00"}` → time 09:00)."""
    m = _PAYLOAD.match(payload.strip())
    if not m or not m.group(1):
        return {}
    try:
        data = json.loads(m.group(1))
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _norm(text: str) -> str:
    return _PUNCT.sub("", fold_width_case(text))


def _core(title: str) -> str:
    """A title without what is said in brackets: 09:00（剩2个名额） → 09:00."""
    return _norm(_BRACKETED.sub("", fold_width_case(title))) or _norm(title)


def _strip_fillers(text: str) -> str:
    return _FILLERS.sub("", text)


def _number(word: str) -> int | None:
    value = cn_to_int(word)
    return value if value is not None and value > 0 else None


def value_of(choice: Choice) -> int | None:
    """The amount a choice stands for (a score, a number of people), or None when it is no amount."""
    carried = payload_entities(choice.payload)
    for name in VALUE_ENTITIES:
        if carried.get(name, "").isdigit():
            return int(carried[name])
    m = _AMOUNT.match(_core(choice.title))
    return _number(m.group(1)) if m else None


def _by_number(said: str, choices: Sequence[Choice], number_asked: bool) -> Choice | None:
    """A pick by place (第二个, 2号, 选二, 最后一个), or by amount when the choices are amounts (5分, 2位)."""
    if _LAST.match(said):
        return choices[-1]
    values = [value_of(c) for c in choices]
    amount = _AMOUNT_SAID.match(said)
    if amount and any(v is not None for v in values):
        wanted = _number(amount.group(1))
        return next((c for c, v in zip(choices, values, strict=True) if v is not None and v == wanted), None)
    m = _ORDINAL.match(said) or (None if number_asked else _BARE_NUMBER.match(said))
    if m is None:
        return None
    place = _number(next(g for g in m.groups() if g))
    return choices[place - 1] if place is not None and place <= len(choices) else None


def _by_entity(text: str, entities: Sequence[Mapping[str, Any]], choices: Sequence[Choice]) -> Choice | None:
    """The one choice whose payload carries an entity found in the message, said with nothing else."""
    carried = [payload_entities(c.payload) for c in choices]
    hits: set[int] = set()
    spans: list[tuple[int, int]] = []
    for e in entities:
        name, value = str(e.get("entity", "")), str(e.get("value", ""))
        found = {i for i, ents in enumerate(carried) if ents.get(name) == value}
        if found:
            hits |= found
            start, end = int(e.get("start") or 0), int(e.get("end") or 0)
            if end > start:
                spans.append((start, end))
    if len(hits) != 1 or not spans:
        return None
    rest = "".join(ch for i, ch in enumerate(text) if not any(a <= i < b for a, b in spans))
    return choices[hits.pop()] if not _strip_fillers(_norm(rest)) else None


def _by_title(said: str, whole: str, choices: Sequence[Choice]) -> Choice | None:
    """The one choice whose title is what was said (exactly, or a part of two characters or more)."""
    cores = [_core(c.title) for c in choices]
    exact = [i for i, core in enumerate(cores) if core and core in (said, whole)]
    if len(exact) == 1:
        return choices[exact[0]]
    if exact or len(said) < 2 or said.isdigit():
        return None
    part = [i for i, core in enumerate(cores) if said in core]
    return choices[part[0]] if len(part) == 1 else None


def pick(
    text: str,
    choices: Sequence[Choice],
    entities: Sequence[Mapping[str, Any]] = (),
    *,
    number_asked: bool = False,
) -> Choice | None:
    """The choice a message picks, or None when it picks none (then it goes to the NLU as usual).

    `entities` are the NLU's entities of `text` (with their spans); `number_asked` says the question
    asked with the choices wanted a number, so that a bare number answers it instead.
    """
    if not choices or not text.strip() or text.strip().startswith("/"):
        return None
    whole = _norm(text)
    if not whole or _LONG_DIGITS.search(whole) or len(whole) > 30:
        return None
    said = _strip_fillers(whole)
    by_title = _by_title(said, whole, choices) if said else None
    if by_title is not None and _core(by_title.title) in (said, whole):
        return by_title
    return (_by_entity(text, entities, choices)
            or (_by_number(said, choices, number_asked) if said else None)
            or by_title)


def _amounts(choices: Sequence[Choice]) -> bool:
    """Choices that are amounts are listed without numbers: 五 would be heard as the score, not the place."""
    return any(value_of(c) is not None for c in choices)


def _named(text: str, choices: Sequence[Choice]) -> bool:
    """Whether a text already names every choice (a speech that says 您是想问A，还是B？)."""
    said = _norm(text)
    return all(_core(c.title) in said for c in choices)


Render = Callable[[str, dict[str, Any]], Reply]


def write_out(replies: Sequence[Reply], render: Render) -> None:
    """Add the offered choices, numbered, to the text of the reply that offers them (channels where
    nothing is tapped)."""
    offered = offered_in(replies)
    if not offered:
        return
    if _amounts(offered):
        listed = render("utter_choices_written_amounts", {"choices": "、".join(c.title for c in offered)}).text
    else:
        items = "\n".join(f"{n}. {c.title}" for n, c in enumerate(offered, 1))
        listed = render("utter_choices_written", {"choices": items}).text
    reply = next(r for r in reversed(replies) if r.buttons)
    reply.text = f"{reply.text.rstrip()}\n{listed}"


def spoken(reply: Reply, render: Render) -> str:
    """What to say for a reply: its speech (or text) and, when it has buttons, the choices read out.

    Raw text: the caller makes it speakable. A text that ends on a colon (您是想：) goes straight on with
    the choices, so that it is never read as a sentence cut short.
    """
    base = (reply.speech if reply.speech is not None else reply.text).rstrip()
    offered = offered_in([reply])
    if not offered or _named(base, offered):
        return base
    colon = base.endswith(("：", ":"))
    if len(offered) == 1 and not colon:
        return base + render("utter_choices_spoken_one", {"choice": offered[0].title}).text
    if _amounts(offered):
        listed = render("utter_choices_spoken_amounts", {"choices": "、".join(c.title for c in offered)}).text
    else:
        items = "；".join(f"{cn2an.an2cn(n)}、{c.title}" for n, c in enumerate(offered, 1))
        listed = render("utter_choices_spoken", {"choices": items}).text
    if colon:
        # 您是想：一、… rather than 您是想。请选：一、…
        return base[:-1] + "：" + listed.split("：", 1)[-1]
    return base + listed


def speak_all(replies: Sequence[Reply], render: Render, speech: Callable[[str], str]) -> None:
    """Give every reply speakable text; the reply offering the choices reads them out."""
    offering = next((r for r in reversed(replies) if r.buttons), None)
    for r in replies:
        r.speech = speech(spoken(r, render) if r is offering else (r.speech if r.speech is not None else r.text))
