"""Which confidently understood messages the review lists as probably misread, from what followed them."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.backend import nlu_review
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Message, StaffUser
from bot.backend.residents import ensure_community, ensure_conversation, ensure_identity

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
THRESHOLD = 0.45
# (direction, sender, text, intent, confidence, seconds after T0)
Turn = tuple[str, str, str, str | None, float | None, int]


def _msg(turn: Turn) -> Message:
    direction, sender, text, intent, confidence, seconds = turn
    return Message(conversation_id=1, direction=direction, sender=sender, text=text, intent=intent,
                   confidence=confidence, created_at=T0 + dt.timedelta(seconds=seconds), reviewed=False)


CUES = nlu_review.correction_cues()


@pytest.mark.parametrize(("turns", "why"), [
    # Read as a booking, the resident says it is wrong.
    ([("in", "resident", "我想问问助浴怎么收费", "book_service", 0.91, 0),
      ("out", "bot", "好的，帮您预约助浴。", None, None, 1),
      ("in", "resident", "不对 我是问收费", "deny", 0.88, 20)], "said_wrong"),
    # Voice input, no punctuation: the same question again in other words.
    ([("in", "resident", "那个高龄津贴去哪领啊", "ask_documents", 0.8, 0),
      ("out", "bot", "办高龄津贴需要带身份证……", None, None, 1),
      ("in", "resident", "高龄津贴在哪里领", "ask_service_info", 0.7, 30)], "rephrased"),
    ([("in", "resident", "楼下垃圾好几天没人收", "ask_service_info", 0.76, 0),
      ("out", "bot", "……", None, None, 1),
      ("in", "resident", "找个人跟我说", "request_human", 0.95, 40)], "asked_for_human"),
    ([("in", "resident", "低保卡丢了", "ask_documents", 0.66, 0),
      ("out", "bot", "……", None, None, 1),
      ("out", "staff", "您好，低保卡补办请带身份证到社区。", None, None, 120)], "staff_answered"),
    # Nothing wrong: a thank-you, a reply too late to be a reaction, a hand-over asked for on purpose.
    ([("in", "resident", "社保卡丢了怎么补办", "ask_service_info", 0.9, 0),
      ("out", "bot", "……", None, None, 1),
      ("in", "resident", "谢谢", "thank", 0.99, 10)], None),
    ([("in", "resident", "社保卡丢了怎么补办", "ask_service_info", 0.9, 0),
      ("in", "resident", "不对", "deny", 0.9, 3600)], None),
    ([("in", "resident", "我要转人工", "request_human", 0.97, 0),
      ("out", "staff", "您好，我是小张。", None, None, 60)], None),
])
def test_what_follows_a_confident_reading_says_whether_it_was_wrong(turns: list[Turn], why: str | None) -> None:
    messages = [_msg(t) for t in turns]
    assert nlu_review.suspicion(messages[0], messages[1:], CUES) == why


def test_similarity_is_one_for_the_same_words_and_zero_for_none_shared() -> None:
    assert nlu_review.similarity("高龄津贴", "高龄津贴") == 1.0
    assert nlu_review.similarity("高龄津贴", "今天天气") == 0.0
    # Two questions that share only how they are asked are not the same question.
    assert nlu_review.similarity("低保怎么办", "居住证怎么办") < nlu_review.REPHRASE_SIMILARITY


def test_the_same_service_under_another_intent_is_asked_again() -> None:
    first = _msg(("in", "resident", "老人卡", "book_service", 0.8, 0))
    again = _msg(("in", "resident", "就是那个敬老的卡要啥材料", "ask_documents", 0.8, 20))
    first.parse = again.parse = {"entities": [{"entity": "service", "value": "senior-card"}]}
    assert nlu_review.suspicion(first, [again], CUES) == "rephrased"


def test_the_review_lists_confident_misreadings_of_its_own_community_newest_first(any_database_url: str) -> None:
    async def run() -> list[tuple[str, str | None]]:
        engine = create_engine(any_database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            mine = await ensure_community(session, "default", "默认社区")
            other = await ensure_community(session, "qinghe-village", "清河村")
            staff = StaffUser(username="zhang", password_hash="x", community_id=mine.id)
            session.add(staff)
            for n, community in enumerate((mine, other, mine)):
                identity = await ensure_identity(session, "web", f"resident-{n}", community)
                conv, _ = await ensure_conversation(session, identity, community)
                for turn in ([("in", "resident", f"问题{n} 助浴怎么收费", "book_service", 0.9, 0),
                              ("out", "bot", "好的", None, None, 1),
                              ("in", "resident", "不对不对", "deny", 0.9, 15)]):
                    m = _msg(turn)
                    m.conversation_id = conv.id
                    session.add(m)
                await session.flush()
            items = await nlu_review.suspected_wrong(session, staff, THRESHOLD)
            out = [(i.message.text, i.why) for i in items]
        await engine.dispose()
        return out

    assert asyncio.run(run()) == [("问题2 助浴怎么收费", "said_wrong"), ("问题0 助浴怎么收费", "said_wrong")]
