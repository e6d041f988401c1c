"""The HTTP edge: the FastAPI app factory, its dependencies and the staff API routes.

Import `bot.api.app.create_app`; this package itself exports nothing so that importing a submodule
stays cheap.
"""

__all__: list[str] = []
