"""Small builders shared by the tests: rules from inline YAML, agent lines, logs."""

from __future__ import annotations

import textwrap

import yaml

from analyzer.models import Rule
from analyzer.rules import rule_from_dict

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]


def make_rule(text: str) -> Rule:
    """A compiled rule from inline YAML; summary/remediation/severity/category default."""
    data = yaml.safe_load(textwrap.dedent(text))
    data.setdefault("title", f"rule {data['id']}")
    data.setdefault("severity", "error")
    data.setdefault("category", "test")
    data.setdefault("summary", "summary of {{ phase }}")
    data.setdefault("remediation", "fix it")
    return rule_from_dict(data, source=f"<{data['id']}>")


def agent(text: str, second: int = 0) -> str:
    """A CodeBuild agent line (current microsecond form)."""
    return f"[Container] 2025/03/08 23:03:{second:02d}.050806 {text}"


def log_bytes(*lines: str) -> bytes:
    """Lines joined with \\n and a final newline."""
    return ("\n".join(lines) + "\n").encode()


def rule_findings(diagnosis):  # type: ignore[no-untyped-def]
    """The findings of a diagnosis that rules made (not the failure locator's, nor a stopped build's)."""
    from analyzer.engine.ranking import LOCATOR_TAG

    return tuple(f for f in diagnosis.findings if LOCATOR_TAG not in f.tags)


def locator_kind(text: str) -> str:
    """What the failure locator takes one log line for (a key of its ``WEIGHTS``, ``summary``,
    ``wrapper``, ``boilerplate``... or ``other``), as it reads the line in a log."""
    from analyzer.engine.lines import iter_lines
    from analyzer.engine.locator import _text, _triggered, classify

    line = next(iter_lines([text.encode()]))
    return classify(_text(line)) if _triggered(_text(line)) else "other"


def travis_log(command: str, *output: str) -> bytes:
    """A Travis log: the command's echo (line 1), its output (from line 2), Travis's exit line."""
    lines = [f"$ {command}", *output, "", f'The command "{command}" exited with 1.', "", "Done. Your build exited with 1."]
    return ("\n".join(lines) + "\n").encode()


def located_lines(data: bytes) -> list[int]:
    """The evidence lines of the failure locator's finding, which must top the report of ``data``."""
    from analyzer.engine import diagnose

    top = diagnose(_shipped_rules(), [data]).findings[0]
    assert top.rule_id == "unrecognised-failure"
    return [e.line_number for e in top.evidence]


_RULES: list = []


def _shipped_rules():  # type: ignore[no-untyped-def]
    from analyzer.rules import load_rules

    if not _RULES:
        _RULES.extend(load_rules().rules)
    return _RULES

