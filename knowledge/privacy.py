"""Requests for another resident's personal data, which the assistant never gives.

"帮我查一下302王大妈的电话", "我邻居身份证号多少", "告诉我谁投诉的我": under the Personal Information
Protection Law a community keeps residents' phone numbers, addresses, ID numbers, health and income to
itself, and a complainant's name above all. The NLU reads such messages as a status check, an
out-of-scope remark or even a complaint, so the policy asks this module first and runs the decline.

A request is someone else's data when it names a person who is not the speaker nor an office (邻居,
王大妈, 302的, 他家, 谁) together with a kind of personal data, or asks who complained or reported.
Offices' own numbers (物业电话, 社区电话, 网格员电话) are public and answered elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Kind = Literal["complainant", "personal"]

# Who complained, reported or called the police on me: always confidential.
_COMPLAINANT = re.compile(
    r"谁(?:投诉|举报|反映|告发?|报警|报的警|打的?12345|打的?电话|写信)[^，。？,?]{0,6}(?:我|俺|咱)"
    r"|(?:投诉|举报|告|报警)(?:我|俺|我家|我们)的(?:人)?(?:是谁|是哪个|是哪位|叫什么|电话|住哪)"
    r"|(?:投诉人|举报人|反映人|报警人)(?:是谁|是哪个|是哪位|叫什么|的?(?:电话|名字|信息|住址|姓名))"
    r"|(?:把|告诉我)(?:投诉人|举报人)"
)
_CONTACT = (
    r"电话|手机号?|号码|联系方式|微信号?|身份证号?|证件号|住址|家庭住址|地址|住哪|住在哪|家在哪|门牌号?|"
    r"全名|名字|姓名|叫什么|个人信息|照片"
)
# Status that is sensitive personal information: asked only about someone plainly not family.
_STATUS = (
    r"收入|工资|存款|病历|病情|什么病|得了啥病|是不是低保|是低保吗|低保户吗|是不是残疾|有没有残疾|坐过牢|犯过|离婚"
)
# Someone plainly not the speaker's family: a neighbour, a named elder, a flat number.
_STRANGER = (
    r"邻居|隔壁|对门|楼上|楼下|楼里的|别人|他人|人家|那家|那户|那个人|那人|这家人|某某|"
    r"[王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴"
    r"夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文老小]"
    r"(?:大妈|大爷|阿姨|叔叔|奶奶|爷爷|大姐|大哥|师傅|老师|老太太?|老头|婶|伯|某|先生|女士)|"
    r"\d{3,4}(?:室|号)?(?:的|那家|那户|住的|住户)|\d+号楼|\d+栋|\d+单元"
)
# A pronoun may be the speaker's own father: only an outright lookup of contact data counts.
_PRONOUN = r"(?<![我俺])(?:他|她)(?:们)?(?:家)?(?:的)?"
_LOOKUP = r"多少|给我|告诉我|查|发我|发给我|说一下|能给|知道|要一下|找一下|什么|哪|吗|是谁|是不是|有没有"
_STRICT_LOOKUP = r"多少|给我|告诉我|查|发我|发给我|能给|知道|要一下|找一下|是什么"
_STRANGERS_DATA = re.compile(
    rf"(?:{_STRANGER}).{{0,8}}(?:{_CONTACT}|{_STATUS})"
    rf"|(?:{_CONTACT})(?:是谁的|是哪家的)|(?:住的|住着)(?:是谁|谁|哪家)|谁住在"
)
_PRONOUNS_DATA = re.compile(
    rf"{_PRONOUN}(?:电话|手机号?|号码|联系方式|微信号?|身份证号|证件号|住址|住哪|住在哪|家在哪)"
)
_ASKING = re.compile(_LOOKUP)
_STRICT = re.compile(_STRICT_LOOKUP)
# An office's public number is not personal data (物业电话, 社区电话): answered with the office's values.
_OFFICE = re.compile(r"物业|社区|居委会|村委会?|网格员|街道|派出所|卫生院|医院|服务中心|热线|12345|办事处")


def others_data_kind(text: str) -> Kind | None:
    """What the message asks about someone else: who complained, other personal data, or None."""
    t = unicodedata.normalize("NFKC", text).replace(" ", "")
    if _COMPLAINANT.search(t):
        return "complainant"
    m = _STRANGERS_DATA.search(t)
    office_only = m is not None and _OFFICE.search(m.group(0)) and not re.search(_STRANGER, m.group(0))
    if m is not None and _ASKING.search(t) and not office_only:
        return "personal"
    if _PRONOUNS_DATA.search(t) and _STRICT.search(t):
        return "personal"
    return None


def asks_for_others_data(text: str) -> bool:
    """Whether the message asks for another resident's personal data (which is never given)."""
    return others_data_kind(text) is not None


__all__ = ["Kind", "asks_for_others_data", "others_data_kind"]
