"""The SQL backend: models, repositories and migrations, below everything but configuration and errors.

Import the module you need (`bot.backend.workorders`, …); this package exports nothing itself.
"""

__all__: list[str] = []
