"""Text made to be read aloud by a speech engine, for residents who listen rather than read.

A speech engine reads symbols, links and list markers literally or not at all, and reads 13800000001 as
a huge number; so the spoken text keeps only words, digits and pauses, reads phone numbers digit by digit
in the way people say them (幺三八，零零零零，零零零幺), a masked one as 尾号…, ticket numbers letter by letter
and in groups (G D，二零二六，幺二幺幺，零零幺), clock times as people say them (09:00 → 九点, 14:30 → 下午两点半)
and ranges as 80到89岁.

Nothing is cut: a reply read out only in part loses its question or its last details (a confirmation
without 确认提交吗, a clarification cut to 您是想。), so keeping replies short is the wording's job, and a
caller that wants a short version asks for it with `max_sentences`.
"""

from __future__ import annotations

import re
import unicodedata

import cn2an

from bot import ticket_numbers
from bot.text import CJK
from bot.ticket_numbers import TicketNumber

# Phone numbers are said digit by digit, 1 as 幺 so that it is not heard as 七.
_PHONE_DIGITS = str.maketrans("0123456789", "零幺二三四五六七八九")
_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ％",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz%",
)
# After these a digit run is a quantity (10000元), not a number to dial.
_UNITS = (
    "元块角岁天日月年个份张次人名位小时分秒号楼层室栋幢单元户平米公里斤度项条间家所周期批台辆本套页%万千百"
)
_SHORT_NUMBERS = {"110", "119", "120", "122"}
# Where a spoken clock time needs its part of the day: 14:00 is 下午两点; morning hours go without.
_DAY_PARTS = ((0, 6, "凌晨"), (12, 13, "中午"), (13, 19, "下午"), (19, 24, "晚上"))

_URL = re.compile(r"(?:https?://|www\.)\S+|[A-Za-z0-9.-]+\.(?:cn|com|net|org|gov)(?:/\S*)?", re.I)
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>\n]{0,200}>")
_BULLET = re.compile(r"^\s*(?:[-*+•·●◦▪▫■□◆◇►▶✓✔☑]+|\d{1,2}\s*[.、．)）]|[（(]\d{1,2}[)）]|[①-⑳])\s*")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_PHONE = re.compile(
    rf"(?<![\d.])(\d{{3,4}}-\d{{7,8}}|\d{{3}}-\d{{4}}-\d{{4}}|\d{{3,}})(?![\d.]|\s*[{_UNITS}])"
)
_CLOCK = re.compile(r"(?<!\d)(\d{1,2})\s*[:：]\s*(\d{2})(?!\d)")
_RANGE = re.compile(r"(?<=[\d点分日号岁月周年天半])\s*[-~～–—－]\s*(?=[\d周星])")
_SAME_PART = re.compile(r"(凌晨|中午|下午|晚上)([^，。？到]{1,6})到\1")
# 138****5678, as confirmations show a phone number: the hidden part is not read as digits.
_MASKED_PHONE = re.compile(r"(?<!\d)\d{3}\s*[*＊]{3,}\s*(\d{4})(?!\d)")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")
_PER = re.compile(r"/(?=[月天年人次小周])")
_TERMINATORS = re.compile(r"[。！？!?；;]+")
_PAUSES = re.compile(r"[,，:：—…~～|｜\t]+")
_STRAY = re.compile(rf"[^{CJK}A-Za-z0-9 ，。？、,:：—…~～|｜\t\-–－.%/]")
_KEEP = re.compile(rf"[^{CJK}A-Za-z0-9 ，。？、]")


def _say_phone(match: re.Match[str]) -> str:
    number = match.group(1)
    if "-" not in number and len(number) < 5 and number not in _SHORT_NUMBERS:
        return number
    if _MOBILE.fullmatch(number):  # said as people say a mobile number: 138，0000，0001
        number = f"{number[:3]}-{number[3:7]}-{number[7:]}"
    return "，".join(part.translate(_PHONE_DIGITS) for part in number.split("-"))


def _say_ticket(number: TicketNumber) -> str:
    """A work order's or booking's number in the groups people read: G D，二零二六，幺幺二九，零零幺，"""
    letters, *digits = number.groups
    return "，".join([" ".join(letters), *(g.translate(_PHONE_DIGITS) for g in digits)]) + "，"


def spoken_clock(hour: int, minute: int) -> str:
    """A clock time as people say it: 九点, 九点半, 下午两点十五分, 中午十二点."""
    part = next((name for start, end, name in _DAY_PARTS if start <= hour < end), "")
    twelve = hour - 12 if hour > 12 else hour
    # cn2an says 2 as 二; a clock says 两点.
    said = "两" if twelve == 2 else str(cn2an.an2cn(twelve))
    if minute == 0:
        tail = ""
    elif minute == 30:
        tail = "半"
    else:
        tail = ("零" if minute < 10 else "") + str(cn2an.an2cn(minute)) + "分"
    return f"{part}{said}点{tail}"


def _say_clock(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 24 or minute > 59:
        return match.group(0)
    return spoken_clock(hour % 24, minute)


def _numbers(text: str) -> str:
    text = _ISO_DATE.sub(lambda m: f"{int(m.group(1))}年{int(m.group(2))}月{int(m.group(3))}日", text)
    text = ticket_numbers.sub_full(text, _say_ticket)
    text = _PHONE.sub(_say_phone, text)
    text = _RANGE.sub("到", text)
    text = _CLOCK.sub(_say_clock, text)
    text = _SAME_PART.sub(r"\1\2到", text)
    return _PERCENT.sub(r"百分之\1", text)


def _symbols(text: str) -> str:
    text = _MASKED_PHONE.sub(lambda m: "尾号" + m.group(1).translate(_PHONE_DIGITS), text)
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _TAG.sub("", text)
    text = re.sub(r"[（(\[【〔]", "，", text)
    text = re.sub(r"[）)\]】〕]", "，", text)
    return _PER.sub("每", text).replace("/", "或")


def _lines_to_sentences(text: str) -> list[str]:
    """List items join their heading as one sentence; other lines end a sentence."""
    sentences: list[str] = []
    in_list = False
    lines = text.splitlines()
    for raw in lines:
        # "1、" opens a list item only in a list; a single line keeps it (also keeps the output stable).
        is_item = len(lines) > 1 and bool(_BULLET.match(raw))
        line = (_BULLET.sub("", raw) if is_item else raw).strip(" #>*_`")
        if not line:
            in_list = False
            continue
        if is_item and sentences and (in_list or sentences[-1].rstrip().endswith(("：", ":"))):
            sentences[-1] = sentences[-1].rstrip("：: ") + "，" + line
        else:
            sentences.append(line)
        in_list = is_item
    return sentences


def _tidy(sentence: str) -> str:
    s = _PAUSES.sub("，", sentence)
    s = _KEEP.sub("", s)
    s = re.sub(r" +", " ", s)
    s = re.sub(r" (?=[^A-Za-z0-9])|(?<=[^A-Za-z0-9]) ", "", s)
    s = re.sub(r"，{2,}", "，", s)
    return s.strip(" ，、")


def to_speech(text: str, max_sentences: int | None = None) -> str:
    """Text fit for a speech engine: words and digits only, numbers as people say them, nothing cut
    unless `max_sentences` asks for a short version."""
    text = _symbols(unicodedata.normalize("NFC", text).translate(_FULL_WIDTH))
    out: list[str] = []
    for line in _lines_to_sentences(text):
        for piece in re.split(r"(?<=[。！？!?；;])", line):
            question = bool(re.search(r"[？?]\s*$", piece))
            # Drop what would be dropped anyway first, so that numbers are read with their true neighbours.
            body = _tidy(_numbers(_STRAY.sub("", _TERMINATORS.sub("", piece))))
            if body:
                out.append(body + ("？" if question else "。"))
    return "".join(out if max_sentences is None else out[:max_sentences])
