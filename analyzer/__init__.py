"""codebuild-doctor: tells you why an AWS CodeBuild build failed and how to fix it.

The library facade; anything not re-exported here is internal::

    from analyzer import load_rules, diagnose
    pack = load_rules()
    diagnosis = diagnose(pack.rules, [open("build.log", "rb").read()])
    print(diagnosis.root_cause.title)
"""

from analyzer.engine import diagnose
from analyzer.models import Build, Diagnosis, Finding, Severity
from analyzer.rules import load_rules

__version__ = "0.1.0"

__all__ = ["Build", "Diagnosis", "Finding", "Severity", "__version__", "diagnose", "load_rules"]
