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
