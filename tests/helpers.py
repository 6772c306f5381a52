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
