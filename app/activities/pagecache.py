"""A small per-process cache of rendered public pages, for the burst of anonymous scans a poster brings.

The key holds everything the page shows (the activity's version, every shift's counts, which shifts are still open,
the language and the URL), so an entry is never stale in what matters; entries also expire after ``ttl`` seconds so
that a renamed organization or town shows up soon. Only pages without per-user content are cached.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class RenderCache:
    def __init__(self, size: int = 256, ttl: float = 60.0) -> None:
        self.size = size
        self.ttl = ttl
        self._entries: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        """The cached page for ``key`` if it is fresh, else ``render()``'s result, kept for next time."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self.ttl:
                self._entries.move_to_end(key)
                return entry[1]
        html = render()
        with self._lock:
            self._entries[key] = (now, html)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return html
