"""The error hierarchy of codebuild-doctor.

Every error a user can cause or meet derives from :class:`AnalyzerError` and
carries the exit status the CLI maps it to (see the README's "Exit codes").
Each layer raises its own subclass; the CLI is the only place that turns them
into exit statuses and messages.
"""

from __future__ import annotations

from dataclasses import dataclass


class ExitStatus:
    """Documented process exit statuses (also listed in the README)."""

    OK = 0
    """No finding at or above ``--fail-on``."""
    FINDINGS = 1
    """At least one finding at or above ``--fail-on``."""
    USAGE = 2
    """Bad command line, bad rule file or bad configuration."""
    SOURCE = 3
    """An AWS call or an input source failed (build not found, access denied, ...)."""
    OUTPUT = 4
    """The report could not be written (permission denied, disk full, ...); nothing was written."""


class AnalyzerError(Exception):
    """Base of every error codebuild-doctor raises on purpose."""

    exit_status = ExitStatus.USAGE


class ConfigError(AnalyzerError):
    """A command-line value or configuration is invalid."""


@dataclass(frozen=True)
class Location:
    """Where in a rule file an error is: path, 1-based line, and the rule id if known."""

    path: str
    line: int | None = None
    rule_id: str | None = None

    def __str__(self) -> str:
        text = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{text} (rule {self.rule_id})" if self.rule_id else text


class RuleError(AnalyzerError):
    """A rule file is malformed: bad YAML, schema violation, bad regex or template.

    The loader raises one of the typed subclasses below (as pySigma's exceptions are typed);
    ``rules lint`` adds its own kinds (:mod:`analyzer.rules.lint`). ``check`` is the name
    ``rules lint`` shows for the kind.
    """

    check = "rule"

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return f"invalid rule: {self.message}"
        return f"{self.location}: invalid rule: {self.message}"


class RuleFileError(RuleError):
    """A rule file that cannot be read: missing, not UTF-8, too large, a link leaving its directory,
    not a regular file, or not valid YAML. ``rules lint`` reports it as check ``yaml``."""

    check = "yaml"


class RuleSchemaError(RuleError):
    """Rule data that breaks ``rule.schema.json``: a misspelt key, a wrong type, a missing field
    (check ``schema``)."""

    check = "schema"


class RulePatternError(RuleError):
    """A rule pattern the ``regex`` module cannot compile; the message quotes it (check ``regex``)."""

    check = "regex"


class RuleTemplateError(RuleError):
    """A ``summary`` or ``remediation`` that is not valid Jinja2 (check ``template``)."""

    check = "template"


class SourceError(AnalyzerError):
    """A build record or log could not be read."""

    exit_status = ExitStatus.SOURCE

    def __init__(self, message: str, tip: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tip = tip

    def __str__(self) -> str:
        return self.message if not self.tip else f"{self.message}\ntip: {self.tip}"


class BuildNotFound(SourceError):
    """``BatchGetBuilds`` did not know the build id."""


class LogsNotFound(SourceError):
    """The build has no log to read: logging disabled, expired, or never written."""


class AccessDenied(SourceError):
    """AWS denied a read the tool needs; ``action`` names the missing IAM action."""

    def __init__(self, message: str, action: str, tip: str | None = None) -> None:
        super().__init__(message, tip)
        self.action = action


class Throttled(SourceError):
    """AWS kept throttling a call after boto3's retries were used up."""


class TransportError(SourceError):
    """A response that could not be trusted, still after retries: a body that does not parse or
    lacks what the call always returns, one shorter than its length, a reset connection, a read
    that timed out, a gzip stream cut short, or paging that does not end."""


class OutputError(AnalyzerError):
    """The report could not be written: the file system refused it. The target is left as it was."""

    exit_status = ExitStatus.OUTPUT
