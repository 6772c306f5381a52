"""Bounds on team rule files (issue 13): what a rule file can make the loader and linter do.

A rule file that is a symlink to /etc/shadow was followed and its lines printed in the error;
a YAML alias bomb took 6 GB before a MemoryError; `rules lint` did not flag ``(a|a)+``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from analyzer.errors import RuleError
from analyzer.rules import load_rules
from analyzer.rules.lint import pattern_shape_problems
from tests.rules.test_loader_errors import GOOD, write

SECRET_LINE = "root:$6$s3cr3tHash$abcdefghijklmnop:20228:0:99999:7:::"


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside" / "shadow"
    outside.parent.mkdir()
    outside.write_text(f"{SECRET_LINE}\nbin:*:20228:0:99999:7:::\n", encoding="utf-8")
    return outside


def test_a_rule_file_linked_outside_its_directory_is_refused_unread(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "evil.yaml").symlink_to(_outside(tmp_path))
    with pytest.raises(RuleError) as info:
        load_rules([rules], include_default=False)
    assert "is a link to a file outside" in str(info.value)
    assert "s3cr3t" not in str(info.value) and "bin:" not in str(info.value)


def test_rules_lint_refuses_it_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from analyzer.cli import main

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "evil.yaml").symlink_to(_outside(tmp_path))
    main(["rules", "lint", "--rules-dir", str(rules), "--no-default-rules"])
    out = capsys.readouterr()
    assert "is a link to a file outside" in out.out + out.err
    assert "s3cr3t" not in out.out + out.err and "bin:" not in out.out + out.err


def test_a_link_inside_the_directory_is_followed(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    target = write(rules / "shared", "my-rule.yaml.txt", GOOD)
    (rules / "my-rule.yaml").symlink_to(target)
    assert [r.id for r in load_rules([rules], include_default=False).rules] == ["my-rule"]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    fifo = rules / "pipe.fifo"
    os.mkfifo(fifo)
    (rules / "pipe.yaml").symlink_to(fifo)
    with pytest.raises(RuleError, match="not a regular file"):
        load_rules([rules], include_default=False)


def test_schema_errors_quote_only_the_offending_key(tmp_path: Path) -> None:
    text = "\n".join(f"user{n}:*:20228:0:99999:7:::" for n in range(30)) + f"\n{SECRET_LINE}\n"
    path = write(tmp_path, "shadow.yaml", text)
    with pytest.raises(RuleError) as info:
        load_rules([tmp_path], include_default=False)
    message = str(info.value)
    assert "unknown key 'user0:*:20228:0:99999:7::' (and 30 more)" in message, message
    assert "s3cr3t" not in message and "user1:" not in message
    assert str(path) in message


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    started = time.monotonic()
    with pytest.raises(RuleError, match="expands to more than 100000 YAML nodes"):
        load_rules([tmp_path], include_default=False)
    assert time.monotonic() - started < 5


def test_a_huge_rule_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "huge.yaml", GOOD + "# " + "x" * (1 << 20) + "\n")
    with pytest.raises(RuleError, match="larger than 1024 KiB"):
        load_rules([tmp_path], include_default=False)


@pytest.mark.parametrize(
    "pattern",
    ["(a|a)+", "(a+)+", "(?<x>a+)+", "(?P<x>a|a)+", "(?<x>(a|a))+", "x(?:ab|ab)*y", "(?:\\w+\\s?)*$"],
)
def test_lint_flags_nested_and_overlapping_quantifiers(pattern: str) -> None:
    assert [check for check, _ in pattern_shape_problems(pattern)] == ["backtracking"]


@pytest.mark.parametrize("pattern", ["(a|ab)+", "(?<=a)b+", "(?<!x)(?:foo|bar)+", "a{2,5}", "(?<name>\\d+)"])
def test_lint_leaves_safe_shapes_alone(pattern: str) -> None:
    assert pattern_shape_problems(pattern) == []


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 'a'|center(10**9) }}", "center: a width of 1000000000 is too large"),
        ("{{ 'a'.ljust(10**9) }}", "ljust: a width of 1000000000 is too large"),
        ("{{ 'a'|indent(10**9, true) }}", "indent: a width of 1000000000 is too large"),
        ("{{ '%1000000000s'|format('a') }}", "format: a format width is too large"),
        ("{{ '%*s'|format(10**9, 'a') }}", "format: a width of 1000000000 is too large"),
        ("{{ '{:>1000000000}'.format('a') }}", "format: a format width is too large"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x", "ran for more than 1s"),
        ("{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}", "ran for more than 1s"),
        ("{% for i in range(100000) %}{{ 'abcdefghij' }}{% endfor %}", "output is longer than 200000 characters"),
    ],
)
def test_a_template_is_bounded_in_time_and_size(template: str, message: str) -> None:
    from jinja2.exceptions import SecurityError

    from analyzer.rules.templates import compile_template

    render = compile_template(template)
    started = time.monotonic()
    with pytest.raises(SecurityError, match=message.replace("*", "\\*")):
        render({"s": "x" * 3000})
    assert time.monotonic() - started < 3


def test_a_template_within_bounds_renders() -> None:
    from analyzer.rules.templates import compile_template

    render = compile_template("Account {{ '%s'|format(a) }} 123456789012 [{{ 'x'|center(5) }}] {{ '{:>4}'.format(a) }}")
    assert render({"a": "z"}) == "Account z 123456789012 [  x  ]    z"


def test_a_runaway_template_is_a_rule_problem_not_a_hang() -> None:
    from analyzer.engine import diagnose
    from tests.helpers import log_bytes, make_rule

    rule = make_rule(
        """
        id: runaway
        match:
          any: ['boom']
        summary: "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x"
        """
    )
    started = time.monotonic()
    result = diagnose([rule], [log_bytes("boom")])
    assert time.monotonic() - started < 5
    (finding,) = result.findings
    assert finding.summary == "rule runaway"  # the title stands in
    (problem,) = result.problems
    assert "template failed to render: the template ran for more than 1s" in problem.message
