"""Session-wide test set-up: compiled rule packs go to a temporary cache, never the user's."""

from __future__ import annotations

import os
import tempfile

from analyzer.rules.compiled import CACHE_ENV

os.environ.setdefault(CACHE_ENV, tempfile.mkdtemp(prefix="codebuild-doctor-cache-"))


def pytest_addoption(parser):  # type: ignore[no-untyped-def]
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="rewrite the golden reports under fixtures/expected/ instead of comparing with them",
    )


# Reports must not depend on the shell running the tests: the text report's width and colour
# come from these (analyzer.report.present.terminal_options); tests that need them set them.
for _name in ("COLUMNS", "NO_COLOR", "FORCE_COLOR"):
    os.environ.pop(_name, None)
