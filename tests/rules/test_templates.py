"""Rule templates: line breaks after inline block tags, and the sandbox's limits."""

from __future__ import annotations

import jinja2
import pytest

from analyzer.rules.templates import compile_template


def test_a_block_tag_ending_a_text_line_keeps_its_line_break() -> None:
    render = compile_template('run `x`{% if name %} for "{{ name }}"{% endif %}\n```\nnext\n')
    assert render({"name": "web"}) == 'run `x` for "web"\n```\nnext'
    assert render({}) == "run `x`\n```\nnext"


def test_a_block_tag_alone_on_its_line_leaves_no_blank_line() -> None:
    render = compile_template("one\n  {% if flag %}\ntwo\n  {% endif %}\nthree\n")
    assert render({"flag": True}) == "one\ntwo\nthree"
    assert render({"flag": False}) == "one\nthree"


def test_a_block_tag_starting_an_indented_line_of_text_keeps_the_indent() -> None:
    """runtime-version-unsupported's YAML example lost the indent of its filled-in line, which
    fell out of the code block (also npm-eresolve and git-authentication-failed)."""
    render = compile_template(
        "1. Use it:\n\n   ```yaml\n   runtime-versions:\n     {% if v %}nodejs: {{ v }}{% else %}<runtime>: <version>{% endif %}\n   ```\n"
    )
    assert render({"v": "14"}) == "1. Use it:\n\n   ```yaml\n   runtime-versions:\n     nodejs: 14\n   ```"
    assert render({}) == "1. Use it:\n\n   ```yaml\n   runtime-versions:\n     <runtime>: <version>\n   ```"


def test_tags_side_by_side_on_their_own_line_leave_no_blank_line() -> None:
    render = compile_template("a\n{% set x = 1 %}{% set y = 2 %}\n{{ x + y }}\n")
    assert render({}) == "a\n3"


@pytest.mark.parametrize("text", ["{{ ('a' * 10**9) | length }}", "{{ 10 ** 100000 }}", "{{ [1] * 1000000 }}"])
def test_the_sandbox_refuses_huge_values(text: str) -> None:
    with pytest.raises(jinja2.exceptions.SecurityError):
        compile_template(text)({})


def test_the_sandbox_refuses_python_internals() -> None:
    with pytest.raises(jinja2.exceptions.SecurityError):
        compile_template("{{ ''.__class__.__mro__[1].__subclasses__() }}")({})
