"""When to try a Hub request again, and how long to wait first.

Shared by metadata requests (``hub.py``) and file transfers (``transfer.py``): a 429, 5xx or cut
connection is worth another try after an exponential backoff with jitter, or after the server's
``Retry-After`` when it sends one (bounded, so a wild value cannot stall a pull for hours).
"""

from __future__ import annotations

import dataclasses
import email.utils
import random
import time
from collections.abc import Mapping

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; for transfers the count resets whenever bytes arrive."""

    max_attempts: int = 8
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 60.0  # the longest Retry-After honoured as given; longer ones are cut to this

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.75, 1.25))

    def wait_before(self, attempt: int, retry_after: float | None) -> float:
        """The server's ``Retry-After`` (bounded) when it gave one, else the backoff for ``attempt``."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.delay(attempt)


# Metadata requests are small and a user waits on them: fewer, shorter retries than a file transfer.
METADATA_RETRY = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=8.0)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The ``Retry-After`` header in seconds (it may be a number or an HTTP date); None if absent or odd."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
