"""``rules lint``: each check fires on a rule that has the problem and stays quiet on one that has not."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.rules.lint import CHECKS, lint_paths, pattern_shape_problems

GOOD = textwrap.dedent(
    """\
    id: my-rule
    title: My rule title
    severity: error
    category: custom
    match:
      any:
        - 'boom (?P<what>\\w+)'
    summary: Boom {{ what }} in {{ phase }}.
    remediation: |
      Fix the {{ what }}.
    references:
      - title: Troubleshooting
        url: https://docs.aws.amazon.com/codebuild/latest/userguide/troubleshooting.html#troubleshooting-x
    """
)


def lint(tmp_path: Path, text: str, name: str = "my-rule.yaml") -> list[str]:
    """The formatted problems of one rule file, with paths relative to ``tmp_path``."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    problems, _count = lint_paths([tmp_path])
    return [p.format().replace(f"{tmp_path}/", "") for p in problems]


def test_good_rule_is_clean(tmp_path):
    assert lint(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("title: My rule title", "title: [unclosed"), "my-rule.yaml:3: [yaml] -: YAML syntax error: expected ',' or ']', but got ':'"),
        (("severity: error", "severity: fatal"), "my-rule.yaml:3: [schema] my-rule: severity: 'fatal' is not one of ['info', 'warning', 'error', 'critical']"),
        (("'boom (?P<what>\\w+)'", "'boom (?P<what>\\w+'"), "my-rule.yaml:7: [regex] my-rule: pattern does not compile: missing ) at position 17: 'boom (?P<what>\\\\w+'"),
        (("Fix the {{ what }}.", "Fix the {% if what %}."), "my-rule.yaml:10: [template] my-rule: remediation: template error: Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'."),
    ],
    ids=["yaml", "schema", "regex", "template"],
)
def test_loader_errors_are_checks(tmp_path, change, expected):
    assert lint(tmp_path, GOOD.replace(*change)) == [expected]


_UNCLOSED = "Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'."
_UNKNOWN_TAG = "Encountered unknown tag 'endfor'."


@pytest.mark.parametrize(
    ("summary", "line", "message"),
    [
        ('summary: "Boom {{ what }} {% if what %}"', 8, _UNCLOSED),
        ("summary: Boom {{ what }} {% if what %}", 8, _UNCLOSED),
        ("summary: 'Boom {{ what }} {% endfor %}'", 8, _UNKNOWN_TAG),
        ("summary: |\n  Boom {{ what }}.\n  Again {{ what }}.\n  Bad {% endfor %}\n  After.", 11, _UNKNOWN_TAG),
        ("summary: >\n  Boom {{ what }}\n  folded on.\n\n  Bad {% endfor %}\n  after.", 12, _UNKNOWN_TAG),
        ("summary: Boom {{ what }}\n  folded plain\n\n  bad {% endfor %}", 11, _UNKNOWN_TAG),
    ],
    ids=["double-quoted", "plain", "single-quoted", "literal-block", "folded-block", "plain-multi-line"],
)
def test_a_template_error_points_at_its_line_whatever_the_scalar_style(tmp_path, summary, line, message):
    """The summary is on line 8; an inline scalar's text starts on the key's line, a block
    scalar's on the next one (an inline summary's error was reported one line below it)."""
    text = GOOD.replace("summary: Boom {{ what }} in {{ phase }}.", summary)
    assert text.splitlines()[line - 1].lstrip().startswith(("summary:", "Bad", "bad"))
    assert lint(tmp_path, text) == [f"my-rule.yaml:{line}: [template] my-rule: summary: template error: {message}"]


def test_every_file_is_reported_not_only_the_first(tmp_path):
    (tmp_path / "a-rule.yaml").write_text(GOOD.replace("my-rule", "a-rule").replace("severity: error", "severity: fatal"))
    assert lint(tmp_path, GOOD.replace("summary:", "sumary:")) == [
        "a-rule.yaml:3: [schema] a-rule: severity: 'fatal' is not one of ['info', 'warning', 'error', 'critical']",
        "my-rule.yaml:1: [schema] my-rule: (top level): 'summary' is a required property",
        "my-rule.yaml:8: [schema] my-rule: (top level): unknown key 'sumary'",
    ]


def test_duplicate_id(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "my-rule.yaml").write_text(GOOD)
    assert lint(tmp_path, GOOD) == [
        "my-rule.yaml:1: [duplicate-id] my-rule: duplicate rule id 'my-rule' (also in a/my-rule.yaml)"
    ]


def test_same_id_in_two_directories_is_an_override_not_a_duplicate(tmp_path):
    for sub in ("shipped", "team"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "my-rule.yaml").write_text(GOOD)
    assert lint_paths([tmp_path / "shipped", tmp_path / "team"]) == ([], 2)


def test_file_name(tmp_path):
    assert lint(tmp_path, GOOD, name="other.yaml") == [
        "other.yaml:1: [file-name] my-rule: file name 'other.yaml' does not match the id: name it 'my-rule.yaml'"
    ]
    (tmp_path / "other.yaml").unlink()
    assert lint(tmp_path, GOOD.replace("id: my-rule", "id: other"), name="other.yml") == []


def test_undefined_capture(tmp_path):
    assert lint(tmp_path, GOOD.replace("Fix the {{ what }}.", "Fix the {{ what }} at {{ wher }}.")) == [
        "my-rule.yaml:9: [undefined-capture] my-rule: remediation uses 'wher' but no pattern has a group "
        "(?P<wher>...); it would render empty"
    ]


def test_names_the_template_sets_itself_or_globals_are_not_captures(tmp_path):
    text = GOOD.replace(
        "Fix the {{ what }}.",
        "{% if what %}{% set thing = what %}{% endif %}Fix {{ thing }} of {{ build.project }} x{{ count }} {{ region }}.",
    )
    assert lint(tmp_path, text) == []


def test_unused_capture_is_a_warning(tmp_path):
    text = GOOD.replace("'boom (?P<what>\\w+)'", "'boom (?P<what>\\w+) (?P<extra>\\d+)'")
    assert lint(tmp_path, text) == [
        "my-rule.yaml:7: [unused-capture] my-rule: warning: group 'extra' is captured but no template uses it"
    ]
    assert lint(tmp_path, text.replace("Fix the {{ what }}.", "Fix {{ captures }}.")) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com/x", "[reference] my-rule: URL is not https: 'http://example.com/x'"),
        ("'https://example.com/a b'", "[reference] my-rule: URL contains whitespace: 'https://example.com/a b'"),
        ("https://localhost", "[reference] my-rule: URL has no host: 'https://localhost'"),
        ("https://example.com/x#", "[reference] my-rule: URL has an empty #anchor: 'https://example.com/x#'"),
        (
            "https://docs.aws.amazon.com/codebuild/latest/userguide/troubleshooting.html",
            "[reference] my-rule: warning: links the whole CodeBuild troubleshooting page: add the #anchor of the entry",
        ),
    ],
    ids=["http", "space", "no-host", "empty-anchor", "troubleshooting-page"],
)
def test_reference(tmp_path, url, expected):
    text = GOOD.replace(
        "https://docs.aws.amazon.com/codebuild/latest/userguide/troubleshooting.html#troubleshooting-x", url
    )
    # The schema refuses the first two too; lint reports them once, as a reference problem.
    assert lint(tmp_path, text) == [f"my-rule.yaml:13: {expected}"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("(a+)+b", [("backtracking", "nested quantifiers (like (a+)+ or (\\w+\\s?)*)")]),
        ("x(\\w+\\s?)*y", [("backtracking", "nested quantifiers (like (a+)+ or (\\w+\\s?)*)")]),
        ("x(.*)*y", [("backtracking", "a quantified group that can match the empty string (like (.*)*)")]),
        ("x(a|aa)+y", [("backtracking", "a quantified alternation of overlapping branches (like (a|aa)+)")]),
        ("x(?:\\d|\\w+)+y", [("backtracking", "a quantified alternation of overlapping branches (like (a|aa)+)")]),
        (".*failed", [("leading-wildcard", "starts with an unbounded .* and no ^ anchor: quadratic on long lines")]),
        ("(?i).+failed", [("leading-wildcard", "starts with an unbounded .+ and no ^ anchor: quadratic on long lines")]),
        ("\\S*: failed", [("leading-wildcard", "starts with an unbounded \\S* and no ^ anchor: quadratic on long lines")]),
        ("(?<!')[^:]+: failed", [("leading-wildcard", "starts with an unbounded [...]+ and no ^ anchor: quadratic on long lines")]),
    ],
)
def test_risky_shapes(pattern, expected):
    assert pattern_shape_problems(pattern) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        "^.*failed",  # anchored: one attempt per line
        "failed: (.*)$",
        "(?:\\s+\\S+)*x",  # each iteration starts with a space: one way to match
        "(?:[\\w.-]+/)+x",
        "(?:foo|bar)+",
        "x(?:ab|cd)+",
        "(?:\\d+\\.)+\\d+",
        "[ab]+ failed",  # a narrow class
        "(?P<r>x)|(?P<r>y)",  # a name twice (the regex module allows it)
        "\\p{L}+ failed",  # regex-only syntax: not analysed
    ],
)
def test_safe_shapes(pattern):
    assert pattern_shape_problems(pattern) == []


def test_shape_problem_in_a_rule_names_the_pattern_line(tmp_path):
    text = GOOD.replace("'boom (?P<what>\\w+)'", "'boom (?P<what>\\w+)'\n    - '(x+)+y'")
    assert lint(tmp_path, text) == [
        "my-rule.yaml:8: [backtracking] my-rule: nested quantifiers (like (a+)+ or (\\w+\\s?)*): '(x+)+y'"
    ]


def test_every_check_has_a_severity():
    assert set(CHECKS.values()) == {"error", "warning"}


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_lint_output_summary_and_exit_codes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "my-rule.yaml").write_text(GOOD.replace("Fix the {{ what }}.", "Fix {{ wher }}."))
    (rules / "warn-rule.yaml").write_text(
        GOOD.replace("my-rule", "warn-rule").replace("#troubleshooting-x", "")
    )
    assert run(["rules", "lint", "rules"]) == (
        1,
        "rules/my-rule.yaml:9: [undefined-capture] my-rule: remediation uses 'wher' but no pattern has a group "
        "(?P<wher>...); it would render empty\n"
        "rules/warn-rule.yaml:13: [reference] warn-rule: warning: links the whole CodeBuild troubleshooting "
        "page: add the #anchor of the entry\n",
        "2 rule files checked: 1 error, 1 warning\n",
    )
    assert run(["rules", "lint", "rules/warn-rule.yaml"])[0] == 0
    assert run(["rules", "lint", "--strict", "rules/warn-rule.yaml"])[0] == 1
    assert run(["rules", "lint", "--no-default-rules", "--rules-dir", "rules"])[0] == 1


def test_cli_lint_json(tmp_path, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my-rule.yaml").write_text(GOOD.replace("severity: error", "severity: fatal"))
    code, out, err = run(["rules", "lint", "--format", "json", "my-rule.yaml"])
    assert (code, err) == (1, "1 rule file checked: 1 error, 0 warnings\n")
    assert json.loads(out) == {
        "problems": [
            {
                "path": "my-rule.yaml",
                "line": 3,
                "rule_id": "my-rule",
                "check": "schema",
                "message": "severity: 'fatal' is not one of ['info', 'warning', 'error', 'critical']",
                "severity": "error",
                "kind": "RuleSchemaError",
            }
        ],
        "summary": {"files": 1, "errors": 1, "warnings": 0},
    }


def test_cli_lint_missing_path_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(["rules", "lint", "nope"]) == (2, "", "codebuild-doctor: error: no such file or directory: nope\n")


def test_shipped_pack_is_clean_under_strict():
    """Issue 14: ``rules lint --strict`` passes on the shipped pack (no error and no warning)."""
    import json

    code, out, err = run(["rules", "lint", "--strict", "--format", "json"])
    assert [f"{p['path']}:{p['line']}: [{p['check']}] {p['message']}" for p in json.loads(out)["problems"]] == []
    assert code == 0 and err.endswith(" rule files checked: 0 errors, 0 warnings\n")


def test_every_problem_of_one_file_in_one_pass(tmp_path):
    """A file with six problems of five kinds: each is reported, with its own line, in one run."""
    text = (
        GOOD.replace("severity: error", "severity: fatal")
        .replace("category: custom", "category: custom\ncolour: red")
        .replace("'boom (?P<what>\\w+)'", "'boom (?P<what>\\w+)'\n    - 'oops (?P<code>\\d+'")
        .replace("Boom {{ what }} in {{ phase }}.", "Boom {{ what }} {{ code }} in {% if phase %}.")
        .replace("Fix the {{ what }}.", "Fix the {{ what }} of {{ build.service_rol }}.")
        .replace("#troubleshooting-x", "")
    )
    assert lint(tmp_path, text) == [
        "my-rule.yaml:3: [schema] my-rule: severity: 'fatal' is not one of ['info', 'warning', 'error', 'critical']",
        "my-rule.yaml:5: [schema] my-rule: (top level): unknown key 'colour'",
        "my-rule.yaml:9: [regex] my-rule: pattern does not compile: missing ) at position 17: 'oops (?P<code>\\\\d+'",
        "my-rule.yaml:10: [template] my-rule: summary: template error: Unexpected end of template. Jinja was "
        "looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be "
        "closed is 'if'.",
        "my-rule.yaml:12: [build-attribute] my-rule: remediation reads 'build.service_rol', which the build "
        "record does not have; it would render empty (did you mean 'build.service_role'?)",
        "my-rule.yaml:15: [reference] my-rule: warning: links the whole CodeBuild troubleshooting page: add the "
        "#anchor of the entry",
    ]


@pytest.mark.parametrize(
    ("template", "name", "hint"),
    [
        ("{{ build.service_rol }}", "service_rol", " (did you mean 'build.service_role'?)"),
        ("{{ build['imag'] }}", "imag", " (did you mean 'build.image'?)"),
        ('{{ build.get("timeout", 60) }}', "timeout", " (did you mean 'build.timeout_minutes'?)"),
        ("{% if build.privileged %}on{% endif %}", "privileged", " (did you mean 'build.privileged_mode'?)"),
    ],
    ids=["attribute", "item", "get", "in-if"],
)
def test_unknown_build_attribute(tmp_path, template, name, hint):
    text = GOOD.replace("Fix the {{ what }}.", f"Fix the {{{{ what }}}}.\n  {template}")
    assert lint(tmp_path, text) == [
        f"my-rule.yaml:11: [build-attribute] my-rule: remediation reads 'build.{name}', which the build record "
        f"does not have; it would render empty{hint}"
    ]


def test_known_build_attributes_and_text_are_not_flagged(tmp_path):
    text = GOOD.replace(
        "Fix the {{ what }}.",
        "Fix the {{ what }} of {{ build.service_role }} on {{ build['image'] }} ({{ build.get('compute_type') }},"
        " {{ build.project | default('') }}, {{ build.console_url }}) at codebuild.amazonaws.com, build.html.",
    )
    assert lint(tmp_path, text) == []


def test_build_attributes_are_the_build_records_keys():
    from analyzer.models import Build, BuildId
    from analyzer.rules.lint import build_attributes

    names = build_attributes()
    assert {"service_role", "image", "project", "compute_type", "region", "account", "log_group"} <= names
    assert "timeout_minutes" in names  # to_dict has it since schema 1.3
    assert "duration" not in names
    assert set(Build(build_id=BuildId("p:1")).to_dict()) <= names


def test_a_group_around_or_inside_a_used_group_is_shown_with_it(tmp_path):
    pattern = "'(?P<uri>s3://(?P<bucket>[^/ ]+)/(?P<key>\\S+)) failed (?P<code>\\d+)'"
    text = GOOD.replace("'boom (?P<what>\\w+)'", pattern).replace("{{ what }}", "{{ bucket }}")
    # uri holds bucket (shown); key is beside bucket, not inside it, and code stands alone.
    assert lint(tmp_path, text) == [
        "my-rule.yaml:7: [unused-capture] my-rule: warning: group 'code' is captured but no template uses it",
        "my-rule.yaml:7: [unused-capture] my-rule: warning: group 'key' is captured but no template uses it",
    ]
    assert lint(tmp_path, text.replace("{{ bucket }}", "{{ uri }} {{ code }}")) == []


def test_group_spans():
    from analyzer.rules.lint import group_spans

    pattern = r"(?P<a>x(?<b>y)[(]\()(?<=z)(?P<a>w)(?P<c>open"
    assert group_spans(pattern) == {"a": [(0, 20), (26, 34)], "b": [(7, 14)], "c": [(34, 44)]}


def test_problems_are_typed_errors(tmp_path):
    from analyzer.errors import RuleError, RuleFileError, RulePatternError, RuleSchemaError, RuleTemplateError
    from analyzer.rules.lint import KINDS, UnknownBuildAttribute, UnusedCapture

    text = GOOD.replace("Fix the {{ what }}.", "Fix {{ build.imag }}.")
    (tmp_path / "my-rule.yaml").write_text(text, encoding="utf-8")
    (problem,) = lint_paths([tmp_path])[0]
    assert problem.kind is UnknownBuildAttribute
    error = problem.to_error()
    assert isinstance(error, UnknownBuildAttribute) and isinstance(error, RuleError)
    assert str(error) == (
        f"{tmp_path}/my-rule.yaml:10 (rule my-rule): invalid rule: remediation reads 'build.imag', which the "
        "build record does not have; it would render empty (did you mean 'build.image'?)"
    )
    assert KINDS["yaml"] is RuleFileError and KINDS["schema"] is RuleSchemaError
    assert KINDS["regex"] is RulePatternError and KINDS["template"] is RuleTemplateError
    assert UnusedCapture.severity == "warning" and CHECKS["unused-capture"] == "warning"
    assert len(KINDS) == len(set(KINDS.values())) == 12


def test_loader_raises_typed_errors(tmp_path):
    from analyzer.errors import RuleFileError, RulePatternError, RuleSchemaError, RuleTemplateError
    from analyzer.rules.loader import load_rule_file, rule_from_dict

    data = {
        "id": "my-rule", "title": "A title", "severity": "error", "category": "c",
        "match": {"any": ["boom"]}, "summary": "s", "remediation": "r",
    }  # fmt: skip
    rule_from_dict(data)
    with pytest.raises(RuleSchemaError, match="severity: 'fatal' is not one of"):
        rule_from_dict({**data, "severity": "fatal"})
    with pytest.raises(RulePatternError, match="pattern does not compile: missing \\)"):
        rule_from_dict({**data, "match": {"any": ["(boom"]}})
    with pytest.raises(RuleTemplateError, match="summary: template error"):
        rule_from_dict({**data, "summary": "{% if x %}"})
    (tmp_path / "bad.yaml").write_text("id: [", encoding="utf-8")
    with pytest.raises(RuleFileError, match="YAML syntax error"):
        load_rule_file(tmp_path / "bad.yaml")


def test_rule_errors_collects_every_error_the_loader_stops_at():
    from analyzer.rules.loader import rule_errors

    data = {
        "id": "my-rule", "title": "A title", "severity": "fatal", "category": "c", "colour": 1, "size": 2,
        "match": {"any": ["(boom", {"pattern": "ok"}, {"pattern": "[x"}]}, "summary": "{{", "remediation": "r",
    }  # fmt: skip
    assert [(type(e).__name__, e.message) for e in rule_errors(data)] == [
        ("RuleSchemaError", "(top level): unknown key 'colour'"),
        ("RuleSchemaError", "(top level): unknown key 'size'"),
        ("RuleSchemaError", "severity: 'fatal' is not one of ['info', 'warning', 'error', 'critical']"),
        ("RulePatternError", "pattern does not compile: missing ) at position 5: '(boom'"),
        ("RulePatternError", "pattern does not compile: unterminated character set at position 2: '[x'"),
        ("RuleTemplateError", "summary: template error: unexpected 'end of template'"),
    ]
    clean = {k: v for k, v in data.items() if k not in ("colour", "size")}
    assert rule_errors({**clean, "severity": "error", "match": {"any": ["ok"]}, "summary": "s"}) == []


def test_cli_lint_rules_dir_reports_the_teams_files_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rules = tmp_path / "team"
    rules.mkdir()
    (rules / "my-rule.yaml").write_text(GOOD.replace("Fix the {{ what }}.", "Fix {{ wher }}."))
    code, out, err = run(["rules", "lint", "--rules-dir", "team"])
    assert (code, err) == (1, "1 rule file checked: 1 error, 0 warnings\n")
    assert out.startswith("team/my-rule.yaml:9: [undefined-capture] my-rule:") and out.count("\n") == 1
    from analyzer.rules import default_rules_dir
    from analyzer.rules.loader import rule_files

    shipped = len(rule_files(default_rules_dir()))
    code, out, err = run(["rules", "lint", "--rules-dir", "team", "--include-default-rules"])
    assert code == 1 and err.startswith(f"{shipped + 1} rule files checked: 1 error, ")
    assert run(["rules", "lint", "--rules-dir", "team", "--include-default-rules", "--no-default-rules"]) == (
        2,
        "",
        "codebuild-doctor: error: --include-default-rules and --no-default-rules exclude each other\n",
    )
