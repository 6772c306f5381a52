"""The one directory codebuild-doctor keeps its caches in (scan's build cache, compiled rules).

``$CODEBUILD_DOCTOR_CACHE_DIR``, else platformdirs' user cache directory for
``codebuild-doctor`` (``~/.cache/codebuild-doctor`` on Linux, honouring ``XDG_CACHE_HOME``).
Imported on every start-up path, so it imports nothing heavy.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_DIR = "CODEBUILD_DOCTOR_CACHE_DIR"
"""Overrides the cache directory (tests, read-only homes)."""


def default_cache_dir() -> Path:
    """``$CODEBUILD_DOCTOR_CACHE_DIR``, else platformdirs' user cache dir for codebuild-doctor."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("codebuild-doctor", appauthor=False))
