"""One masking of phone and ID numbers, for free text, phone fields, training data and every log line."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.logging_setup import UVICORN_LOGGERS, setup_logging, uvicorn_options
from bot.masking import mask_for_training, mask_log_line, mask_personal_data, mask_phone
from bot.nlu.entities.contact import find_phones

MOBILE = "13812345678"
ID = "110101195001011234"


@pytest.mark.parametrize(
    ("raw", "shown", "hidden"),
    [
        ("电话13812345678", "电话138****5678", "1234"),
        ("电话 138 1234 5678", "138****5678", "1234"),
        ("电话138-1234-5678，谢谢", "138****5678，谢谢", "1234"),
        ("+86 138 1234 5678", "138****5678", "1234"),
        ("8613812345678", "138****5678", "1234"),
        ("手机１３８１２３４５６７８", "１３８****５６７８", "１２３４"),
        ("我电话是幺三八幺二三四五六七八", "幺三八****五六七八", "幺二三四"),
        ("电话幺三八，幺二三四，五六七八", "幺三八****五六七八", "幺二三四"),
        ("我的电话13812345678一直打不通", "138****5678一直打不通", "1234"),
        ("房号1201，13812345678", "房号1201，138****5678", "1234"),
        ("身份证110101195001011234", "110***********1234", "19500101"),
        ("身份证号11010119500101123X", "110***********123X", "19500101"),
        ("身份证 110101 19500101 1234", "110***********1234", "19500101"),
        ("老身份证110101500101123", "110********1123", "500101"),
        ("座机0571-88880000", "0571-****0000", "8888"),
        ("(010)8888 0000", "010-****0000", "8888"),
        ("家里电话 6688 1234", "家里电话 ****1234", "6688"),
    ],
)
def test_personal_numbers_are_masked_however_written(raw: str, shown: str, hidden: str) -> None:
    masked = mask_personal_data(raw)
    assert shown in masked and hidden not in masked


@pytest.mark.parametrize("text", [
    "工单GD20261129001已受理", "预约号YY20261209001", "2026-12-09 10:00:00", "3号楼2单元501室",
    "置信度0.93", "共 13 14 15 16 17 18 人", "", "请拨打12345热线",
])
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text


@given(prefix=st.text(alphabet="我的电话是号码，请联系谢谢 ", max_size=8),
       number=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
       suffix=st.text(alphabet="我的电话是号码，请联系谢谢一直 ", max_size=8))
def test_a_mobile_in_any_sentence_never_survives(prefix: str, number: str, suffix: str) -> None:
    text = prefix + number + suffix
    assert number not in mask_personal_data(text)
    assert number not in mask_log_line(text)
    assert mask_for_training(text) == prefix + number[:3] + "0" * 8 + suffix


def test_phone_fields_keep_the_shape_residents_hear() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138 1234 5678") == "138****5678"
    assert mask_phone("057188880000") == "057****0000"
    assert mask_phone("88880000") == "****0000"
    assert mask_phone(None) == "" and mask_phone("123") == "****"


def test_training_text_keeps_its_shape_and_stays_a_phone_to_the_extractor() -> None:
    raw = "我电话13812345678，身份证110101195001011234，座机0571-88880000"
    training = mask_for_training(raw)
    assert len(training) == len(raw)
    assert MOBILE not in training and ID not in training and "8888" not in training
    assert training == "我电话13800000000，身份证000000000000000000，座机0571-00000000"
    assert [f.value for f in find_phones(training)] == ["13800000000", "057100000000"]
    assert mask_for_training("幺三八幺二三四五六七八") == "幺三八零零零零零零零零"


def test_secret_query_values_are_hidden_in_log_lines() -> None:
    line = '127.0.0.1:5 - "GET /api/v1/conversations/7/messages?token=Sx9-abc_DEF&after=3 HTTP/1.1" 200'
    assert mask_log_line(line) == '127.0.0.1:5 - "GET /api/v1/conversations/7/messages?token=***&after=3 HTTP/1.1" 200'
    # A URL escape ending in a digit (号 is %E5%8F%B7) must not join the number after it.
    assert MOBILE not in mask_log_line("GET /x?q=%E5%8F%B713812345678")
    assert "1234" not in mask_log_line("GET /x?q=138%201234%205678")


@pytest.mark.parametrize("line", [
    json.dumps({"text": f"身份证{ID}，电话{MOBILE}"}),  # 证 is \u8bc1, its last hex digit a 1
    repr(f"身份证{ID}".encode()),  # b'\xe8\xba\xab…\x81110101…'
    "q=" + quote(f"幺三八幺二三四五六七八 {ID}"),
])
def test_numbers_behind_escapes_are_masked_in_log_lines(line: str) -> None:
    masked = mask_log_line(line)
    assert ID not in masked and MOBILE not in masked and "19500101" not in masked
    assert "110***********1234" in masked
    assert "%E4%BA%8C%E4%B8%89%E5%9B%9B" not in masked  # 二三四, the hidden middle of the dictated number


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Our logging set up on a string, and the loggers as they were put back afterwards."""
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    saved = {n: (list(logging.getLogger(n).handlers), logging.getLogger(n).propagate, logging.getLogger(n).level)
             for n in ("aiosqlite", *UVICORN_LOGGERS)}
    stream = io.StringIO()
    yield stream
    root.handlers[:] = saved_root[0]
    root.setLevel(saved_root[1])
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.setLevel(level)


def _fail_with_numbers() -> None:
    raise ValueError("resident 13812345678 sent ID 110101195001011234")


def test_tracebacks_and_stacks_are_masked(log_stream: io.StringIO) -> None:
    setup_logging("INFO", stream=log_stream)
    log = logging.getLogger("linli.test")
    try:
        _fail_with_numbers()
    except ValueError:
        log.exception("turn failed for %s", "电话138 1234 5678")
    log.info("where am I, 110101195001011234", stack_info=True)
    text = log_stream.getvalue()
    assert "Traceback" in text and "ValueError: resident 138****5678 sent ID 110***********1234" in text
    assert "电话138****5678" in text and "Stack (most recent call last)" in text
    assert MOBILE not in text and ID not in text and "1234 5678" not in text


def test_uvicorn_access_and_error_lines_go_through_the_mask(log_stream: io.StringIO) -> None:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    # uvicorn's default set-up, as any earlier server in the process leaves it: its own handlers on stderr.
    logging.config.dictConfig(LOGGING_CONFIG)
    setup_logging("INFO", stream=log_stream)
    uvicorn.Config(app=lambda *a: None, **uvicorn_options("INFO"))  # what `linli serve` passes
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "GET",
                f"/api/v1/conversations/3/messages?token=TOPSECRET42&phone={MOBILE}", "1.1", 200)
    try:
        raise RuntimeError(f"could not store {ID}")
    except RuntimeError as exc:
        logging.getLogger("uvicorn.error").error("Exception in ASGI application\n", exc_info=exc)
    text = log_stream.getvalue()
    assert "uvicorn.access" in text and "token=***&phone=138****5678" in text
    assert "Exception in ASGI application" in text and "could not store 110***********1234" in text
    assert "TOPSECRET42" not in text and MOBILE not in text and ID not in text
    assert all(not logging.getLogger(n).handlers for n in UVICORN_LOGGERS)


def test_records_are_masked_for_every_handler_after_ours(log_stream: io.StringIO) -> None:
    setup_logging("INFO", stream=log_stream)
    later = io.StringIO()
    handler = logging.StreamHandler(later)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        try:
            _fail_with_numbers()
        except ValueError:
            logging.getLogger("linli.test").exception("phone %s", MOBILE)
    finally:
        logging.getLogger().removeHandler(handler)
    assert "phone 138****5678" in later.getvalue() and MOBILE not in later.getvalue()
    assert ID not in later.getvalue()



def test_sql_parameters_stay_out_of_even_a_debug_log(log_stream: io.StringIO) -> None:
    # aiosqlite logs each statement with its parameters: tokens and sender secrets no mask can recognise.
    setup_logging("DEBUG", stream=log_stream)
    logging.getLogger("aiosqlite").debug("executing %s", ("INSERT INTO conversations (token)", "Zq8-secret-token"))
    logging.getLogger("bot.dialogue").debug("turn took 12 ms")
    assert "turn took 12 ms" in log_stream.getvalue() and "Zq8-secret-token" not in log_stream.getvalue()


def test_json_log_lines_are_objects_and_masked(log_stream: io.StringIO) -> None:
    setup_logging("INFO", stream=log_stream, fmt="json")
    try:
        raise ValueError("身份证110101195001011234 电话13812345678")
    except ValueError:
        logging.getLogger("linli.test").exception("turn failed for %s", "13912345678")
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines() if line.strip()]
    assert lines[-1]["level"] == "ERROR" and lines[-1]["logger"] == "linli.test"
    assert "139****5678" in lines[-1]["message"]
    whole = log_stream.getvalue()
    assert "13812345678" not in whole and "13912345678" not in whole and "19500101" not in whole
    assert "ValueError" in lines[-1].get("exc_info", ""), "the traceback is kept, masked"
