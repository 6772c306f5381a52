"""Loader error paths: each error names the file, the line, the rule id and what is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analyzer.errors import RuleError
from analyzer.rules import load_rules

GOOD = textwrap.dedent(
    """\
    id: my-rule
    title: My rule title
    severity: error
    category: custom
    priority: 60
    match:
      any:
        - 'boom (?P<what>\\w+)'
    summary: Boom {{ what }}.
    remediation: |
      Fix the {{ what }}.
      Then run it again.
    """
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str, name: str = "my-rule.yaml") -> str:
    path = write(tmp_path, name, text)
    with pytest.raises(RuleError) as info:
        load_rules([tmp_path], include_default=False)
    assert str(info.value).startswith(f"{path}:")
    return str(info.value)[len(str(path)) :]


def test_good_rule_loads(tmp_path):
    write(tmp_path, "my-rule.yaml", GOOD)
    pack = load_rules([tmp_path], include_default=False)
    assert [r.id for r in pack.rules] == ["my-rule"]
    assert pack.rules[0].remediation({"what": "fuse"}) == "Fix the fuse.\nThen run it again."


def test_yaml_syntax_error(tmp_path):
    text = GOOD.replace("title: My rule title", "title: [unclosed")
    # PyYAML reports where it gave up: the first line after the unclosed flow sequence.
    assert load_error(tmp_path, text) == (
        ":3: invalid rule: YAML syntax error: expected ',' or ']', but got ':'"
    )


def test_unknown_key_points_at_the_misspelt_key(tmp_path):
    text = GOOD.replace("summary:", "sumary:")
    assert load_error(tmp_path, text) == (
        ":9 (rule my-rule): invalid rule: (top level): unknown key 'sumary'"
    )


def test_unknown_key_inside_match(tmp_path):
    text = GOOD.replace("  any:\n", "  exclud:\n    - pattern: x\n  any:\n")
    assert load_error(tmp_path, text) == (
        ":7 (rule my-rule): invalid rule: match: unknown key 'exclud'"
    )


def test_missing_required_key(tmp_path):
    text = GOOD.replace("severity: error\n", "")
    assert load_error(tmp_path, text) == (
        ":1 (rule my-rule): invalid rule: (top level): 'severity' is a required property"
    )


def test_bad_severity(tmp_path):
    text = GOOD.replace("severity: error", "severity: fatal")
    assert load_error(tmp_path, text) == (
        ":3 (rule my-rule): invalid rule: severity: 'fatal' is not one of "
        "['info', 'warning', 'error', 'critical']"
    )


def test_bad_regex_quotes_the_pattern(tmp_path):
    text = GOOD.replace("'boom (?P<what>\\w+)'", "'boom (?P<what>\\w+'")
    assert load_error(tmp_path, text) == (
        ":8 (rule my-rule): invalid rule: pattern does not compile: "
        "missing ) at position 17: 'boom (?P<what>\\\\w+'"
    )


def test_bad_template_names_the_template_line(tmp_path):
    text = GOOD.replace("Then run it again.", "{% if what %}Then run it again.")
    # remediation: is line 10; the unclosed {% if %} is its template's second line.
    assert load_error(tmp_path, text) == (
        ":12 (rule my-rule): invalid rule: remediation: template error: Unexpected end of template. "
        "Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. "
        "The innermost block that needs to be closed is 'if'."
    )


def test_duplicate_id_in_one_directory(tmp_path):
    first = write(tmp_path, "a/my-rule.yaml", GOOD)
    second = write(tmp_path, "b/my-rule-copy.yaml", GOOD)
    with pytest.raises(RuleError) as info:
        load_rules([tmp_path], include_default=False)
    assert str(info.value) == (
        f"{second}:1 (rule my-rule): invalid rule: duplicate rule id 'my-rule' (also in {first})"
    )


def test_collect_errors_gathers_every_error(tmp_path):
    write(tmp_path, "a.yaml", GOOD.replace("severity: error", "severity: fatal"))
    write(tmp_path, "b.yaml", GOOD.replace("id: my-rule", "id: other-rule").replace("summary:", "sumary:"))
    pack = load_rules([tmp_path], include_default=False, collect_errors=True)
    assert pack.rules == ()
    assert [(Path(e.location.path).name, e.location.line, e.location.rule_id) for e in pack.errors] == [
        ("a.yaml", 3, "my-rule"),
        ("b.yaml", 9, "other-rule"),
    ]


def test_rules_dir_rule_replaces_a_shipped_one(tmp_path):
    shipped = load_rules()
    override = GOOD.replace("id: my-rule", "id: command-execution-error").replace(
        "title: My rule title", "title: Team override of the fallback"
    )
    write(tmp_path, "command-execution-error.yaml", override)
    pack = load_rules(extra_dirs=[tmp_path])
    assert pack.replaced == ("command-execution-error",)
    assert len(pack.rules) == len(shipped.rules)
    rule = pack.get("command-execution-error")
    assert rule.title == "Team override of the fallback"
    assert rule.source_path == str(tmp_path / "command-execution-error.yaml")


def test_missing_rules_dir(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(RuleError) as info:
        load_rules([missing])
    assert str(info.value) == f"invalid rule: rules directory not found: {missing}"


def test_unknown_rule_id_in_pack(pack):
    with pytest.raises(KeyError) as info:
        pack.get("no-such-rule")
    assert info.value.args[0] == f"no rule with id 'no-such-rule' ({len(pack.rules)} rules loaded)"


def test_duplicate_key_is_an_error_naming_both_lines(tmp_path):
    from analyzer.errors import RuleError
    from analyzer.rules.loader import load_rule_file

    path = tmp_path / "dup.yaml"
    path.write_text(
        "id: dup\ntitle: duplicate keys\nseverity: error\ncategory: test\n"
        "match:\n  any: ['a']\nsummary: s\nremediation: r\nsummary: again\n"
    )
    import pytest

    with pytest.raises(RuleError) as info:
        load_rule_file(path)
    assert str(info.value) == f"{path}:9: invalid rule: YAML syntax error: duplicate key 'summary' (first at line 7)"


def test_two_rules_dirs_defining_one_id_are_reported(tmp_path):
    from analyzer.rules.loader import load_rules

    text = (
        "id: team-rule\ntitle: a team rule\nseverity: error\ncategory: test\n"
        "match:\n  any: ['boom']\nsummary: s\nremediation: r\n"
    )
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "team-rule.yaml").write_text(text)
    pack = load_rules([tmp_path / "a", tmp_path / "b"])
    assert pack.conflicts == (
        f"rule 'team-rule' in {tmp_path / 'b' / 'team-rule.yaml'} replaces the one in {tmp_path / 'a' / 'team-rule.yaml'}",
    )
    assert load_rules([tmp_path / "a"]).conflicts == ()  # replacing nothing, or a shipped rule, is not a conflict


def test_a_version1_inline_flag_is_a_clear_error_not_a_crash(tmp_path):
    """regex raises KeyError or ValueError (by version; not regex.error) for (?V1) against VERSION0."""
    text = GOOD.replace("'boom (?P<what>\\w+)'", "'(?V1)boom (?P<what>\\w+)'")
    assert load_error(tmp_path, text) == (
        ":8 (rule my-rule): invalid rule: pattern does not compile: rule patterns use regex's VERSION0 "
        "syntax, so the inline flag (?V1) is not supported (full case folding is (?f)): "
        "'(?V1)boom (?P<what>\\\\w+)'"
    )
