"""Real threads that act at the same moment, for the tests of requests and services racing each other."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence


def start_together(jobs: Sequence[Callable[[Callable[[], object]], object]]) -> list:
    """Run each job in a thread of its own and return what the jobs returned, in the order they finished.

    A job is called with ``go``: it gets ready first (a request context, a connection from the pool), then calls
    ``go()``, which waits until every job is ready, so that all of them act at the same moment. Fails on any job's
    error and on a thread still running after a minute; a starved connection pool fails at ``go()`` after 30 seconds,
    never hangs."""
    barrier = threading.Barrier(len(jobs), timeout=30)
    results: list = []
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            results.append(job(barrier.wait))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(daemon=True, target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread still runs after a minute"
    assert errors == [], f"the threads failed: {errors!r}"
    return results


def run_together(jobs: Sequence[Callable[[], object]]) -> list:
    """Call the prepared jobs at the same moment, each in its own thread (``start_together``); returns what they
    returned, in the order they finished."""

    def at_go(job):
        def run(go) -> object:
            go()
            return job()

        return run

    return start_together([at_go(job) for job in jobs])
