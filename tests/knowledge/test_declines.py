"""Requests for a benefit or proof that does not apply are recognised; ordinary questions are not."""

from __future__ import annotations

import pytest

from knowledge.declines import decline_for, mentions_death


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我爸去年走了 他的高龄津贴还能领吗", "deceased_benefit"),
        ("我妈过世了 她的养老金还能继续领吗", "deceased_benefit"),
        ("嗯那个俺爹上个月没了 他那个高龄经贴还能领不", "deceased_benefit"),
        ("老人去世了 补贴卡里的钱还能继续取吗", "deceased_benefit"),
        ("我不住这但想开个居住证明", "proof_not_resident"),
        ("户口在这 人不在这住 能开个居住证明吗", "proof_not_resident"),
        ("我早搬走了 能不能还给我开住址证明", "proof_not_resident"),
        ("能不能帮我把收入少写点 好评上低保", "false_claim"),
        ("帮我开个证明 就说我没工作 其实我在上班", "false_claim"),
        ("我妈79 能不能把年龄改大一岁 好领高龄津贴", "false_claim"),
        ("我爸走了 先不报死亡 津贴还能领吧", "false_claim"),
        ("我爸去世了 能开个他还活着的证明吗", "false_claim"),
    ],
)
def test_declined(text, kind):
    found = decline_for(text)
    assert found is not None and found.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "我爸去年走了 丧葬补助怎么领", "老伴去世了 我能领什么补助", "高龄津贴每个月能领多少钱", "我爸82 能领高龄津贴吗",
        "我想开个居住证明", "老人去世了要开什么证明", "我妈去世了 户口怎么注销", "他走了两步就摔了 能申请助浴吗",
        "我住这 能开居住证明吗", "帮我继续领我爸的高龄津贴", "我爸去世了 他的养老金要停发吗",
    ],
)
def test_ordinary_requests(text):
    assert decline_for(text) is None


def test_a_death_said_earlier_colours_a_later_request():
    assert decline_for("帮我继续领我爸的高龄津贴") is None
    found = decline_for("帮我继续领我爸的高龄津贴", deceased_known=True)
    assert found is not None and found.kind == "deceased_benefit"


def test_mentions_death():
    assert mentions_death("他去年已经走了") and mentions_death("俺爹上个月没了")
    assert not mentions_death("他走了两步") and not mentions_death("钱没了")
