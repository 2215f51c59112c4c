"""The suite's last test: every route that changes data has a test that submits it successfully.

``tests/route_coverage.py`` records each POST that committed a change (to more than the audit log) without an
error; this test, moved to the end of the run by ``conftest.py``, fails for every POST route of the URL map that no
test submitted so. It only judges a whole run: with some tests left out, it skips.
"""

from __future__ import annotations

import pytest

from tests.route_coverage import SUBMITTED


def data_changing_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def test_every_data_changing_route_has_a_test_that_submits_it_successfully(app, request):
    if not request.config.stash.get(WHOLE_RUN, False):
        pytest.skip("only a run of the whole suite can tell which routes were submitted")
    missing = sorted(data_changing_endpoints(app) - SUBMITTED)
    assert missing == [], f"data-changing routes that no test submits successfully: {missing}"


WHOLE_RUN = pytest.StashKey[bool]()
