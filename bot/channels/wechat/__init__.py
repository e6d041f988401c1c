"""The WeChat channels: the Official Account (公众号, `/wechat/mp`) and WeCom customer service
(微信客服, `/wecom/kf`), each on when its token (WECHAT_MP_TOKEN, WECOM_KF_TOKEN) is set.

Importing this package is cheap: wechatpy is imported only when a channel is on and an app is built.
"""

from __future__ import annotations

from typing import Any


def mount_callbacks(app: Any, runtime: Any) -> None:
    """Add the callbacks of the WeChat channels whose tokens are set."""
    settings = runtime.settings
    if settings.wechat_mp_token is None and settings.wecom_kf_token is None:
        return
    from bot.channels.wechat.service import install

    install(app, runtime)


__all__ = ["mount_callbacks"]
