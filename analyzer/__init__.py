"""codebuild-doctor: tells you why an AWS CodeBuild build failed and how to fix it.

The library facade; anything not re-exported here is internal::

    from analyzer import load_rules, diagnose
    pack = load_rules()
    diagnosis = diagnose(pack.rules, [open("build.log", "rb").read()])
    print(diagnosis.root_cause.title)

Names are imported on first use, so ``import analyzer.engine`` stays free of
jinja2, jsonschema and boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analyzer._version import __version__

__all__ = ["Build", "Diagnosis", "Finding", "Severity", "__version__", "diagnose", "load_rules"]

if TYPE_CHECKING:
    from analyzer.engine import diagnose
    from analyzer.models import Build, Diagnosis, Finding, Severity
    from analyzer.rules import load_rules

_LAZY = {
    "diagnose": "analyzer.engine",
    "load_rules": "analyzer.rules",
    "Build": "analyzer.models",
    "Diagnosis": "analyzer.models",
    "Finding": "analyzer.models",
    "Severity": "analyzer.models",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
