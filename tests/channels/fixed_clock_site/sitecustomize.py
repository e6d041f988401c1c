"""Puts a server process started by the cross-process tests on the suite's clock.

Python imports `sitecustomize` at start-up from its path; those tests put this directory on the
PYTHONPATH of the `linli serve` processes they start, so the servers read the same fixed "now" as the
rest of the suite without a clock setting in the product. The clock then moves on (`tick`): leases and
reminder rounds need time to pass. asyncio's timers use the monotonic clock, which is left alone.
"""

import datetime as dt
import os

_START = os.environ.get("LINLI_TEST_CLOCK_START")
if _START:
    import time_machine

    time_machine.travel(dt.datetime.fromisoformat(_START), tick=True).start()
