"""Requests the assistant must decline, kindly and with the right path, rather than answer as usual.

A benefit or a proof is never obtained by saying something untrue: a deceased parent's allowance stops
on death (the family reports the death and may claim 丧葬补助 and 抚恤金 instead); a residence proof is
only for where one really lives; a form is filled in truthfully. Answered as ordinary questions these
requests would walk a resident into a refused application, a repayment or worse, so the answer names
what does apply. Proofs the committee no longer issues are said so by the certificate entries
themselves (knowledge/catalog/certificates.yml).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Kind = Literal["deceased_benefit", "proof_not_resident", "false_claim"]

_RELATIVE = (
    r"爸|妈|爹|娘|父亲|母亲|老人|老伴|爷爷|奶奶|姥姥|姥爷|外公|外婆|公公|婆婆|岳父|岳母|丈夫|老公|妻子|老婆|爱人|他|她"
)
_DEATH = re.compile(
    rf"去世|过世|离世|逝世|病故|亡故|已故|死了|仙逝|人没了|过身|"
    rf"(?:{_RELATIVE})[^，。？,?]{{0,6}}(?:走了(?!\s*(?:一|两|几|\d))|没了|不在了)"
)
# The benefit belongs to the deceased: continuing it, or "his/her" allowance.
_BENEFIT = r"津贴|补贴|补助|低保|养老金|退休金|工资|待遇|优待|救助金|生活费|长寿金|尊老金|补贴卡|钱"
_CONTINUE = re.compile(
    rf"(?:还|继续|接着|照样|照常|还能|能不能|可不可以|可以|帮我|替他|替她|代)[^，。？,?]{{0,4}}(?:领|拿|发|取|用)"
    rf"|(?:{_RELATIVE})的[^，。？,?]{{0,6}}(?:{_BENEFIT})"
)
# After a death these are the right questions, answered by the catalog (death-certificate, 丧葬…).
_AFTER_DEATH = re.compile(r"丧葬|抚恤|后事|火化|殡|销户|注销|死亡证明|身后|遗产|继承|过户|停发|怎么办手续|退回")
_NOT_RESIDENT = re.compile(
    r"不住(?:在)?(?:这|这里|这儿|本社区|小区|社区|村里|咱村|我们这)|没(?:有)?住(?:在)?(?:这|这里|这儿|本社区|小区|村里)|"
    r"不在(?:这|这里|这儿|本社区|小区|村里)住|人不在(?:这|这里|本地)|住在?(?:外地|别处|别的地方|别的小区|老家)|"
    r"已经搬走|搬走了|早搬了"
)
_RESIDENCE_PROOF = re.compile(r"居住证明|住址证明|证明(?:我|他|她|我们)?(?:住|在这住)|开个?(?:住|居住)的?证明")
# Asking for something to be written or said that is not so.
_UNTRUE = re.compile(
    r"假装|冒充|冒领|冒名|顶替|假证明|造假|作假|弄个假|开个假|虚报|瞒报|谎报|少报|多报|少写|多写|写少|写多|"
    r"改大|改小|报大|报小|把年龄改|改一下年龄|年龄改|说成|写成|填成|开成|"
    r"就说(?:我|他|她|老人|我们)|别(?:跟|和)?(?:社区|民政|上面|街道)?说|别告诉|瞒着|隐瞒|先不报|不报死亡|晚点报|"
    r"其实(?:我|他|她)?(?:有工作|在上班|不住|没住|有房|有车|有收入|不是|没去世)|走个?后门|通融一下|随便(?:写|开)"
)
_CLAIM_CONTEXT = re.compile(r"证明|低保|补贴|津贴|补助|救助|失业金|申请|领|材料|收入|年龄|户口|残疾|证|表")


@dataclass(frozen=True)
class Decline:
    """A request to decline, and why."""

    kind: Kind


def decline_for(text: str, *, deceased_known: bool = False) -> Decline | None:
    """The decline a message calls for, or None for an ordinary request.

    `deceased_known` says the conversation already established that the person asked about has died, so
    that a later "帮我继续领" is read in that light.
    """
    t = unicodedata.normalize("NFKC", text).replace(" ", "")
    if _UNTRUE.search(t) and _CLAIM_CONTEXT.search(t):
        return Decline("false_claim")
    if _NOT_RESIDENT.search(t) and _RESIDENCE_PROOF.search(t):
        return Decline("proof_not_resident")
    died = bool(_DEATH.search(t))
    if (died or deceased_known) and _CONTINUE.search(t) and not _AFTER_DEATH.search(t):
        if died and re.search(r"活着|健在|在世|生存", t):
            return Decline("false_claim")
        return Decline("deceased_benefit")
    if died and re.search(r"(?:开|办|弄)[^，。]{0,4}(?:活着|健在|在世|生存)", t):
        return Decline("false_claim")
    return None


def mentions_death(text: str) -> bool:
    """Whether the message says someone has died (kept so that a follow-up is read in that light)."""
    return bool(_DEATH.search(unicodedata.normalize("NFKC", text).replace(" ", "")))


__all__ = ["Decline", "Kind", "decline_for", "mentions_death"]
