"""Hostile inputs for the public HTTP surface, as hypothesis strategies (used by tests/api/test_fuzz.py).

Whatever a client controls arrives here in its worst forms: strings with NUL characters (raw and as
JSON's \\u0000), lone surrogates (escaped in JSON, or as the invalid UTF-8 they would encode to), text
far past every limit, button-payload syntax with broken JSON, values of the wrong type, whole bodies that
are not JSON objects, nested thousands deep, or not UTF-8 at all, sent under the wrong Content-Type,
and paths, query strings, cookies and headers with numbers no integer column holds.

Every body is encoded here, never by httpx: httpx would refuse to encode a lone surrogate, and a test
must be able to send exactly the bytes an attacker would.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

import yaml
from hypothesis import strategies as st

from bot.config import PROJECT_ROOT

NUL = "\x00"
# Lengths around the limits: the engine's 2,000 characters, the REST channel's 100,000, column widths.
HUGE_LENGTHS = (65, 129, 257, 2_001, 65_537, 100_001, 250_000)
REST_CHANNELS = ("web", "app", "voice", "wecom", "wechat", "sms", "telegram")
BRIDGE_CHANNELS = ("voice", "wecom", "wechat", "sms")
ENTITY_NAMES = ("service", "service_id", "date", "time", "slot_id", "people", "count", "name", "phone",
                "location", "address", "rating", "ticket_id", "change", "activity", "urge", "target", "age")
SPECIAL_STRINGS = (
    "", " ", "\t\n ", "null", "None", "undefined", "0", "-1", "NaN", "Infinity", "true", "[]", "{}",
    "\\u0000", "%00", "%s%s%s%n", "{{7*7}}", "${jndi:ldap://x}", "' OR 1=1 --", "'); DROP TABLE messages;--",
    "<script>alert(1)</script>", "../../../../etc/passwd", "\u202e\u2066", "\ufeff", "\uffff", "\U0010ffff",
    "\u3000", "ｗｅｂ", "１２３", "٣", "默认", "default", "qinghe-village", "telegram", "web", "admin",
    "🙏" * 3, "\r\n\r\n", "a\x00b", NUL, NUL * 64,
)
# Button payloads a resident can type by hand; the first two crashed a turn when this file was written.
KNOWN_BAD_PAYLOADS = (
    '/rate_service{"rating":"abc"}',
    '/book_service{"service_id": [1]}',
    '/rate_service{"rating": Infinity}',
    '/rate_service{"rating": NaN}',
    '/rate_service{"rating": 1e999}',
    '/rate_service{"rating": 99999999999999999999999999}',
    '/rate_service{"rating": -5}',
    '/rate_service{"ticket_id": "GD\\u0000"}',
    '/book_service{"service": "no-such-service"}',
    '/inform{"slot_id": "abc"}',
    '/inform{"slot_id": -1}',
    '/inform{"slot_id": 99999999999999999999}',
    '/inform{"people": "many"}',
    '/inform{"count": -3}',
    '/inform{"date": "2026-02-30"}',
    '/inform{"time": "25:99"}',
    '/inform{"change": "everything"}',
    '/check_status{"ticket_id": ["GD1"]}',
    '/check_status{"urge": "1"}',
    '/cancel_booking{"ticket_id": "YY00000000000"}',
)
MALFORMED_PAYLOAD_JSON = (
    "{", "}", "{}", "{{}}", '{"rating":}', "{'rating': 'abc'}", '{"rating": 5,}', '{"a":1}{"b":2}', "[1]", '"x"',
    "null", "1", '{"rating": "\\ud800"}', '{"rating": "\\u0000"}', '{"\\u0000": 1}', '{"rating": [[[[1]]]]}',
    '{"rating": {"$gt": 0}}', '{"rating": true}', '{"rating": 5.5}', '{"rating": -0.0}', '{"rating": 1e-999}',
    "{" + '"a":' * 500 + "1" + "}" * 500,
    '{"a":' + "[" * 5_000 + "]" * 5_000 + "}",
)
CONTENT_TYPES = (
    None, "application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
    "application/json; charset=utf-16", "application/json;;;", "application/vnd.api+json", "text/json",
    "text/plain", "text/html", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data",
    "multipart/form-data; boundary=fuzz", "multipart/form-data; boundary=", "application/octet-stream", "*/*",
    "", "json", "application/json; boundary=x", "application/x-www-form-urlencoded; charset=utf-16",
)
INVALID_UTF8 = (
    b"\xff\xfe\xfd", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc", b"\xed\xa0\x80",
    b"\xc0\xaf", b"\xf8\x88\x80\x80\x80", b"\x80",
)


@cache
def intents() -> tuple[str, ...]:
    """The intents of the domain, which is what the payload parser accepts after a slash."""
    with open(PROJECT_ROOT / "nlu_data" / "domain.yml", encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh)["intents"])


def either(*options: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """One of the options, each as likely as the others.

    st.one_of flattens nested one_ofs and picks among all their branches, so an option that is itself a
    one_of of ten (path_ids, nasty_text) would crowd out a plain one; choosing the option first does not.
    """
    return st.sampled_from(range(len(options))).flatmap(lambda i: options[i])


# --- strings ------------------------------------------------------------------------------------------


def _insert(text: str, at: int, piece: str) -> str:
    at = min(at, len(text))
    return text[:at] + piece + text[at:]


def with_nul(base: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Text with NUL characters somewhere in it (JSON sends them as \\u0000)."""
    return st.builds(_insert, st.text(max_size=24) if base is None else base, st.integers(0, 24),
                     st.sampled_from([NUL, NUL * 2, f"a{NUL}", f"{NUL}/"]))


def with_surrogate() -> st.SearchStrategy[str]:
    """Text with a lone UTF-16 surrogate, which only escaped JSON (or invalid UTF-8) can carry."""
    return st.builds(_insert, st.text(max_size=16), st.integers(0, 16), st.characters(categories=["Cs"]))


def huge_text() -> st.SearchStrategy[str]:
    """Text longer than some limit (columns, the engine, the REST channel), of a few kinds of character."""
    pieces = st.sampled_from(["a", "高", "😀", NUL, "/", "{", "\ud800", "楼道灯坏了"])
    return st.builds(lambda piece, n: (piece * n)[:n], pieces, st.sampled_from(HUGE_LENGTHS))


def nasty_text() -> st.SearchStrategy[str]:
    """Any string a client might send, weighted toward the ones that break servers."""
    return st.one_of(
        st.sampled_from(SPECIAL_STRINGS),
        st.text(max_size=30),
        with_nul(),
        with_surrogate(),
        huge_text(),
        payload_text(),
        st.text(alphabet=st.characters(codec="latin-1"), max_size=30),
    )


def short_nasty_text() -> st.SearchStrategy[str]:
    """Like nasty_text but short: for dictionary keys and places where size is not the point."""
    return st.one_of(st.sampled_from(SPECIAL_STRINGS[:40]), st.text(max_size=12), with_nul(st.text(max_size=8)),
                     with_surrogate())


def payload_text() -> st.SearchStrategy[str]:
    """Button payloads typed by hand: known intents and made-up ones, with good, odd and broken JSON."""
    intent = st.one_of(st.sampled_from(intents()), st.from_regex(r"[a-z_]{1,14}", fullmatch=True))
    entities = st.dictionaries(st.one_of(st.sampled_from(ENTITY_NAMES), short_nasty_text()),
                               json_values(max_leaves=4), max_size=4)
    encoded = st.builds(lambda d, ascii_only: json.dumps(d, ensure_ascii=ascii_only), entities, st.booleans())
    body = st.one_of(st.just(""), encoded, st.sampled_from(MALFORMED_PAYLOAD_JSON))
    pad = st.sampled_from(["", " ", "\n", "\u3000"])
    return st.one_of(st.sampled_from(KNOWN_BAD_PAYLOADS),
                     st.builds(lambda a, i, b, z: f"{a}/{i}{b}{z}", pad, intent, body, pad))


def resident_text() -> st.SearchStrategy[str]:
    """What a resident might type, hostile or not: payloads, Chinese requests, nasty strings."""
    ordinary = st.sampled_from(["你好", "楼道灯坏了", "我想预约下周三上门助浴", "高龄津贴要带什么材料", "转人工", "1",
                                "确认", "取消", "GD00000000000办得怎么样了", "差评", "五星", "明天上午"])
    return either(ordinary, payload_text(), nasty_text(), st.builds(lambda a, b: a + b, ordinary, with_nul()))


# --- JSON values ---------------------------------------------------------------------------------------


def big_ints() -> st.SearchStrategy[int]:
    """Integers at and past every column and machine width, negative ones too."""
    edges = [0, -1, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, -(10**30), 10**400]
    return st.one_of(st.sampled_from(edges), st.integers(-(2**70), 2**70))


def json_scalars() -> st.SearchStrategy[Any]:
    """JSON scalars, with NaN and the infinities Python's json module reads and writes."""
    return st.one_of(st.none(), st.booleans(), big_ints(), st.floats(), short_nasty_text())


def json_values(max_leaves: int = 10) -> st.SearchStrategy[Any]:
    """Any JSON value, nested a little."""
    return st.recursive(
        json_scalars(),
        lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(short_nasty_text(), kids, max_size=4)),
        max_leaves=max_leaves,
    )


def wrong_types(of: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's own kind of value, or any other JSON value in its place."""
    return st.one_of(of, json_values(max_leaves=4))


# --- encodings -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoding:
    """How a JSON document is written to bytes: which is where NULs and surrogates become hostile."""

    name: str

    def encode(self, value: Any) -> bytes:
        """The bytes of the document in this encoding."""
        if self.name == "ascii":  # surrogates and NULs as \\uXXXX escapes: valid JSON, hostile content
            return json.dumps(value, ensure_ascii=True).encode("ascii")
        text = json.dumps(value, ensure_ascii=False)
        if self.name == "raw-nul":  # NUL as a raw byte inside the string: invalid JSON
            text = text.replace("\\u0000", NUL)
        # Surrogates as the three bytes each would take: invalid UTF-8 (utf-8 leaves other text valid).
        return text.encode("utf-8", "surrogatepass")


ENCODINGS = st.sampled_from([Encoding("ascii"), Encoding("utf-8"), Encoding("raw-nul")])
# Mostly the encoding a client would use, so that most bodies reach the endpoint's own code.
MOSTLY_ASCII = st.one_of(st.just(Encoding("ascii")), ENCODINGS)


def encoded(value: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """A JSON value written to bytes in one of the encodings."""
    return st.builds(lambda v, e: e.encode(v), value, ENCODINGS)


def raw_bodies() -> st.SearchStrategy[bytes]:
    """Request bodies that are not a JSON object: other JSON, broken JSON, deep nesting, invalid UTF-8."""
    deep = st.builds(lambda opener, closer, n: opener * n + closer * n,
                     st.sampled_from([b"[", b'{"a":', b'{"text":[']), st.sampled_from([b"", b"]", b"}"]),
                     st.sampled_from([50, 1_000, 30_000, 200_000]))
    json_elsewhere = st.sampled_from([b"null", b"0", b"-1", b"1e999", b"NaN", b"-Infinity", b'"text"', b"[]", b"[{}]",
                                      b"true", b"{}", b'{"text": "hi"', b'{"a":1}{"b":2}', b"\xef\xbb\xbf{}",
                                      '{"text": "hi"}'.encode("utf-16"), b"text=hi&sender=x", b"--fuzz--\r\n"])
    return st.one_of(
        st.binary(max_size=64),
        st.sampled_from(INVALID_UTF8).map(lambda b: b'{"text": "' + b + b'"}'),
        st.sampled_from(INVALID_UTF8),
        deep,
        json_elsewhere,
        encoded(st.one_of(st.lists(json_scalars(), max_size=3), json_scalars())),
    )


def content_types() -> st.SearchStrategy[str | None]:
    """Content-Type headers from the right one to nonsense (None: no header at all)."""
    return st.sampled_from(CONTENT_TYPES)


def mostly_json() -> st.SearchStrategy[str | None]:
    """Content-Type: application/json about half the time, anything else otherwise."""
    return st.one_of(st.just("application/json"), content_types())


# --- URLs, headers and cookies ------------------------------------------------------------------------------


# Longer path segments and query values are cut: the whole URL must stay under the client's 64 KiB.
MAX_URL_PART = 4_000


def url_part(text: str) -> str:
    """A string percent-encoded for a path segment or query, surrogates as the bytes they would be
    (cut to MAX_URL_PART characters, possibly inside an escape, which is one more hostile input)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")[:MAX_URL_PART]


def path_ids() -> st.SearchStrategy[str]:
    """Path segments where an id or number belongs: huge, negative, not numbers at all."""
    odd = st.sampled_from(["0", "-1", "1e3", "0x10", " 1", "1.0", "NaN", "%00", "%2e%2e", "..", "%ff", "%", "１２３",
                           "٣", "1;drop", "1%0a", "GD00000000000", "YY%00", "99999999999999999999999999999999"])
    return st.one_of(big_ints().map(str), odd, nasty_text().map(url_part))


def query_strings(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A query string: the endpoint's own parameter names and others, with nasty or repeated values."""
    key = st.one_of(st.sampled_from(names) if names else st.nothing(), short_nasty_text())
    value = st.one_of(path_ids(), nasty_text().map(url_part))
    pairs = st.lists(st.tuples(key.map(url_part), value), max_size=4)
    raw = st.sampled_from(["", "&", "=", "==&&", "%zz", "a", "a=1&a=2&a=x", "%00=%00", "&" * 500, "x=" + "9" * 5000])
    return st.one_of(pairs.map(lambda ps: "&".join(f"{k}={v}" for k, v in ps)), raw)


_UNSAFE_IN_HEADERS = re.compile(r"[\x00\r\n\x0b\x0c]")


def header_safe(text: str) -> str:
    """Text as a header value HTTP/1.1 can carry: latin-1 only; no NUL, CR, LF or vertical whitespace;
    no space or tab at either end (the value's inner spaces and tabs stay).

    The client refuses to send anything else, so this is the hostile range a server really sees.
    """
    kept = text.encode("latin-1", "replace").decode("latin-1")
    return _UNSAFE_IN_HEADERS.sub("_", kept).strip(" \t")


def header_values() -> st.SearchStrategy[str]:
    """Header values: latin-1 bytes beyond ASCII, control characters, long ones."""
    long = st.builds(lambda c, n: c * n, st.sampled_from(["a", "\xff", "="]), st.sampled_from([1_000, 7_000]))
    return st.one_of(st.text(alphabet=st.characters(codec="latin-1"), max_size=40).map(header_safe),
                     st.sampled_from(SPECIAL_STRINGS).map(header_safe), long)


def bad_bearer(valid: tuple[str, ...] = ()) -> st.SearchStrategy[str | None]:
    """Authorization headers that must never open anything (None: no header)."""

    def mangle(token: str, how: int) -> str:
        return (token[:-1], token + "x", token[1:], token.swapcase(), token + "\xe9", token[::-1])[how]

    forms = st.sampled_from(["", "Bearer", "Bearer ", "bearer", "Basic dXNlcjpwYXNzd29yZA==", "Token abc",
                             "Bearer null", "Bearer undefined", "Bearer lb_", "Bearer lb_" + "A" * 43,
                             "Bearer \xff\xfe", "Bearer\xa0abc", "Bearer%20abc", "Bearer ../../", "Bearer, Bearer",
                             "Bearer " + "a" * 5_000, "Negotiate YII=", "Digest username=x"])
    options: list[st.SearchStrategy[str | None]] = [st.none(), forms,
                                                    header_values().map(lambda v: "Bearer " + v),
                                                    header_values()]
    if valid:
        mangled = st.builds(mangle, st.sampled_from(valid), st.integers(0, 5))
        options.append(mangled.filter(lambda t: t not in valid).map(lambda t: "Bearer " + header_safe(t)))
    return st.one_of(*options)


def cookie_values() -> st.SearchStrategy[str]:
    """Cookie values a browser would never send: empty, long, latin-1, separators, a session from nowhere."""
    return st.one_of(header_values(), st.sampled_from(["", '""', "a;b", "a,b", "=", "deleted", "x" * 4_000]),
                     st.uuids().map(str), st.binary(min_size=32, max_size=32).map(lambda b: b.hex()))


# --- structured requests --------------------------------------------------------------------------------------


# Well-formed secret senders; drawn with a tail, most cases are a new resident, the shortest ones the same few.
SECRET_SENDERS = ("web-Ab3Cd4Ef5Gh6Ij7Kl8Mn9Op0", "Zy9Xw8Vu7Ts6Rq5Po4Nm3Lk2", "app-Jh5Gf4Ds3Aq2Wz1Xc0Vb9Nm8",
                  "6f1c2a9e-7b3d-4c8e-9a5f-0d2e4b6c8a1f")
_URLSAFE = string.ascii_letters + string.digits + "-_"


def good_senders() -> st.SearchStrategy[str]:
    """Senders the REST contract accepts for web and app (and any bridge): secrets of 120 bits or more."""
    return st.builds(lambda base, tail: base + tail, st.sampled_from(SECRET_SENDERS),
                     st.text(alphabet=_URLSAFE, max_size=6))


def senders() -> st.SearchStrategy[Any]:
    """Senders: well-formed secrets, UUIDs, too short, hostile strings, wrong types."""
    secret = st.text(alphabet=_URLSAFE, min_size=22, max_size=64)
    return st.one_of(good_senders(), st.uuids().map(str), secret, wrong_types(nasty_text()), with_nul(secret),
                     good_senders().map(lambda s: s + "\ud800"))


def metadata_objects() -> st.SearchStrategy[dict[str, Any]]:
    """Metadata objects: the keys actions read and others, every key and value hostile."""
    keys = st.one_of(st.sampled_from(["location", "photo", "photos", "latitude", "longitude", "elderly", "voice"]),
                     short_nasty_text())
    return st.dictionaries(keys, json_values(max_leaves=6), max_size=5)


def metadata() -> st.SearchStrategy[Any]:
    """Metadata: an object of hostile keys and values, or not an object at all."""
    return st.one_of(metadata_objects(), json_values(max_leaves=3))


def message_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """A body for POST /api/v1/messages: half well-formed with hostile text and extras, half hostile in
    every field (of the wrong type, or left out)."""
    well_formed = st.fixed_dictionaries(
        {"sender": good_senders(), "text": resident_text(), "channel": st.sampled_from(REST_CHANNELS[:-1])},
        optional={"message_id": st.one_of(st.uuids().map(str), nasty_text()),
                  "community": st.one_of(st.sampled_from(["default", "qinghe-village"]), nasty_text()),
                  "metadata": metadata_objects()},
    )
    hostile = st.fixed_dictionaries(
        {},
        optional={
            "sender": senders(),
            "text": wrong_types(resident_text()),
            "channel": wrong_types(st.sampled_from(REST_CHANNELS)),
            "message_id": wrong_types(st.one_of(st.uuids().map(str), nasty_text())),
            "community": wrong_types(st.one_of(st.sampled_from(["default", "qinghe-village"]), nasty_text())),
            "metadata": metadata(),
            "chat_id": json_scalars(),
        },
    )
    return st.one_of(well_formed, hostile)


def _valid_utf8(text: str) -> str:
    """Text as Telegram would carry it: its JSON is valid UTF-8, so never a lone surrogate."""
    return text.encode("utf-8", "replace").decode("utf-8")


def telegram_text(base: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Hostile text that Telegram could still deliver (NULs, control characters, huge; valid UTF-8)."""
    return base.map(_valid_utf8)


def telegram_ids() -> st.SearchStrategy[int]:
    """Ids as Telegram sends them: signed 64-bit integers (in practice at most 52 bits)."""
    return st.one_of(st.sampled_from([0, -1, 1, 2**31, -(2**31), 2**52, 2**63 - 1, -(2**63)]),
                     st.integers(-(2**63), 2**63 - 1))


def telegram_users() -> st.SearchStrategy[dict[str, Any]]:
    """A Telegram user object with a fuzzed id and names."""
    name = telegram_text(short_nasty_text())
    return st.fixed_dictionaries({"id": telegram_ids(), "is_bot": st.booleans(), "first_name": name},
                                 optional={"username": name, "language_code": name})


def telegram_updates(update_ids: st.SearchStrategy[int]) -> st.SearchStrategy[dict[str, Any]]:
    """Updates Telegram could send: its shapes and types, with hostile text and ids at every edge.

    What Telegram could never send (wrong types, numbers past 64 bits, lone surrogates) is
    telegram_bodies' part.
    """
    short, text = telegram_text(short_nasty_text()), telegram_text(resident_text())
    chat = st.fixed_dictionaries({"id": telegram_ids(), "type": st.one_of(st.sampled_from(["private", "group"]),
                                                                          short)})
    content = st.one_of(
        st.fixed_dictionaries({"text": text}),
        st.fixed_dictionaries({"text": st.sampled_from(["/start", "/help", "/human", "/elder", "/start@x " + NUL])}),
        st.fixed_dictionaries({"location": st.fixed_dictionaries({"latitude": st.floats(), "longitude": st.floats()})}),
        st.fixed_dictionaries({"contact": st.fixed_dictionaries({"phone_number": telegram_text(nasty_text()),
                                                                 "first_name": short})}),
        st.fixed_dictionaries({"photo": st.lists(st.fixed_dictionaries(
            {"file_id": short, "file_unique_id": st.just("u"), "width": telegram_ids(), "height": telegram_ids()}),
            min_size=1, max_size=2)}, optional={"caption": telegram_text(nasty_text())}),
        st.fixed_dictionaries({"sticker": st.just({"file_id": "s", "file_unique_id": "u", "width": 1, "height": 1,
                                                   "is_animated": False, "is_video": False, "type": "regular"})}),
    )
    message = st.builds(lambda base, more: {**base, **more},
                        st.fixed_dictionaries({"message_id": telegram_ids(), "date": st.integers(0, 2**31 - 1),
                                               "chat": chat, "from": telegram_users()}),
                        content)
    callback = st.fixed_dictionaries({"id": telegram_ids().map(str), "from": telegram_users(),
                                      "chat_instance": telegram_ids().map(str), "data": text})
    return st.one_of(
        st.fixed_dictionaries({"update_id": update_ids, "message": message}),
        st.fixed_dictionaries({"update_id": update_ids, "callback_query": callback}),
        st.fixed_dictionaries({"update_id": update_ids}, optional={"edited_message": message,
                                                                   "channel_post": message}),
    )


def telegram_bodies() -> st.SearchStrategy[Any]:
    """Anything as the whole webhook body: JSON that is not an update, or an update with wrong types."""
    wrong = st.fixed_dictionaries({}, optional={"update_id": json_values(max_leaves=2),
                                                "message": json_values(max_leaves=6),
                                                "callback_query": json_values(max_leaves=6)})
    return st.one_of(json_values(max_leaves=6), wrong)


# --- WeChat ----------------------------------------------------------------------------------------------------

# XML that attacks the parser rather than the assistant: entity expansion, external entities (local files
# only: nothing here may reach the network), nesting, encodings, and documents that are not XML at all.
XML_ATTACKS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]>'
    "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>&f;</Content><MsgId>1</MsgId></xml>",
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<xml><FromUserName>o2</FromUserName><MsgType>text</MsgType><Content>&x;</Content><MsgId>2</MsgId></xml>",
    '<?xml version="1.0"?><!DOCTYPE xml SYSTEM "file:///etc/hostname"><xml><FromUserName>o3</FromUserName></xml>',
    "<xml>" + "<a>" * 20_000 + "</a>" * 20_000 + "</xml>",
    "<xml><FromUserName>o4</FromUserName>", "<xml/>", "<xml></xml>", "", "not xml", "{}", "<?xml?>",
    "<xml><FromUserName></FromUserName><MsgType>text</MsgType><Content>你好</Content></xml>",
    "<xml><FromUserName>o5</FromUserName><FromUserName>o6</FromUserName><MsgType>text</MsgType></xml>",
)
WECHAT_TYPES = ("text", "event", "image", "voice", "location", "link", "video", "shortvideo", "file")


def _xml_field(value: str, how: int) -> str:
    """A value inside an XML element: in CDATA (which a "]]>" in it breaks), escaped, or raw."""
    if how == 0:
        return f"<![CDATA[{value}]]>"
    if how == 1:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def wechat_messages() -> st.SearchStrategy[str]:
    """A message to the Official Account as WeChat posts it, each field hostile, or XML that attacks the parser."""
    field_value = st.one_of(st.sampled_from(["o-linli-user", "text", "subscribe", "click", "1", ""]),
                            resident_text(), big_ints().map(str))
    fields = st.dictionaries(
        st.sampled_from(["FromUserName", "ToUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event",
                         "EventKey", "Recognition", "MediaId", "PicUrl", "Location_X", "Location_Y", "Label"]),
        st.tuples(field_value, st.integers(0, 2)), max_size=8)
    typed = st.builds(lambda kind, extra: {"MsgType": (kind, 0), "FromUserName": ("o-linli-user", 0), **extra},
                      st.sampled_from(WECHAT_TYPES), fields)
    documents = typed.map(lambda fs: "<xml>" + "".join(f"<{k}>{_xml_field(v, how)}</{k}>"
                                                      for k, (v, how) in fs.items()) + "</xml>")
    return either(documents, st.sampled_from(XML_ATTACKS))


def wecom_customer_messages() -> st.SearchStrategy[dict[str, Any]]:
    """A message waiting in WeCom customer service: what the customer typed (or tapped) is theirs to choose;
    their id is WeCom's, so only its length and letters vary."""
    user = either(st.just("wm-linli-customer"), st.from_regex(r"wm[A-Za-z0-9_-]{0,200}", fullmatch=True))
    text_content = st.fixed_dictionaries({"content": telegram_text(resident_text())},
                                         optional={"menu_id": telegram_text(payload_text())})
    return st.fixed_dictionaries({
        "msgid": telegram_ids().map(str), "external_userid": user, "send_time": st.integers(0, 2**31 - 1),
        "origin": st.sampled_from([3, 3, 3, 4, 5]), "msgtype": st.sampled_from(["text", "text", "image", "location",
                                                                           "voice", "event", "file"]),
        "text": text_content,
        "image": st.fixed_dictionaries({"media_id": telegram_text(short_nasty_text())}),
        "location": st.fixed_dictionaries({"latitude": st.floats(allow_nan=False, allow_infinity=False),
                                           "longitude": st.floats(allow_nan=False, allow_infinity=False),
                                           "name": telegram_text(short_nasty_text())}),
        "event": st.fixed_dictionaries({"event_type": st.sampled_from(["enter_session", "msg_send_fail", "x"]),
                                        "external_userid": user}),
    })
