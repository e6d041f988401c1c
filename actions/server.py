"""Serving the actions to a Rasa server: `python -m actions.server --port 5055` (rasa_sdk's own options).

rasa_sdk builds actions without arguments, so their services cannot come through constructors, and
`python -m rasa_sdk` knows nothing of ours. This executor does what the dialogue engine does for a turn:
it runs each request inside `using_services(...)`, with services it builds from `Settings` on the first
request, once per server process (Sanic may run several), and keeps on the executor, not in a module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_argument_parser, run
from rasa_sdk.executor import ActionExecutor

from actions.runtime import ActionServices, build_action_services, using_services
from bot.config import Settings


def services_from_settings() -> ActionServices:
    """The services of a standalone action server, from the environment (named, so it can be pickled)."""
    return build_action_services(Settings())


class ServicesExecutor(ActionExecutor):
    """rasa_sdk's executor, running every action with this server's services set."""

    def __init__(self, build: Callable[[], ActionServices] = services_from_settings) -> None:
        super().__init__()
        self._build = build
        self._services: ActionServices | None = None

    def services(self) -> ActionServices:
        """This process's services, built on first use (loading the catalog and index takes a second)."""
        if self._services is None:
            self._services = self._build()
        return self._services

    async def run(self, action_call: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        """Run the requested action with the services set, as a turn of our own engine would."""
        with using_services(self.services()):
            return await super().run(action_call, *args, **kwargs)


def main(argv: list[str] | None = None) -> None:
    """Serve the `actions` package over rasa_sdk's HTTP endpoint."""
    args = create_argument_parser().parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()
    executor = ServicesExecutor()
    executor.register_package(args.actions_module or args.actions or "actions")
    run(executor, args.port, args.cors, args.ssl_certificate, args.ssl_keyfile, args.ssl_password, args.auto_reload,
        args.endpoints)


if __name__ == "__main__":
    main()
