"""A finding's captures come from one hit (or hits that agree); ``hits`` lists each; ``nearby`` adds context captures."""

from __future__ import annotations

import pytest

from analyzer.engine import EngineOptions, diagnose, repo_relative
from tests.helpers import agent, log_bytes, make_rule

LOCKFILE = make_rule(
    r"""
    id: lockfile
    match:
      any:
        - '^npm error (?:Missing|Invalid): (?:lock file''s )?(?P<package>[\w.-]+)@(?P<version>\S+) (?:from lock file|does not satisfy (?P<wanted>\S+))'
    summary: "{{ package }}@{{ version }}{% if wanted %} does not satisfy {{ wanted }}{% endif %} | {% for h in hits %}{{ h.package }}@{{ h.version }}{% if h.wanted %}<{{ h.wanted }}{% endif %};{% endfor %}"
    """
)
TWO_LINES = log_bytes(
    "npm error Missing: zod@3.23.8 from lock file",
    "npm error Invalid: lock file's typescript@5.3.3 does not satisfy typescript@5.4.5",
)


@pytest.mark.parametrize("engine", ["reference", "python"])
def test_captures_of_two_lines_are_not_spliced(engine: str) -> None:
    (finding,) = diagnose([LOCKFILE], [TWO_LINES], options=EngineOptions(engine=engine)).findings
    # Before: {"package": "zod", "version": "3.23.8", "wanted": "typescript@5.4.5"}, a fact no line states.
    assert finding.captures == {"package": "zod", "version": "3.23.8"}
    assert finding.summary == "zod@3.23.8 | zod@3.23.8;typescript@5.3.3<typescript@5.4.5;"


def test_hits_that_agree_complete_one_fact() -> None:
    rule = make_rule(
        r"""
        id: not-found
        match:
          any:
            - '404 Not Found - GET \S+/(?P<package>[\w.-]+)'
            - '404 ''(?P<spec>(?P<package>[\w.-]+)@\S+)'' is not in this registry'
        summary: "{{ package }} {{ spec }}"
        """
    )
    log = log_bytes("npm error 404 Not Found - GET https://r/lodahs", "npm error 404 'lodahs@^4.17.21' is not in this registry.")
    (finding,) = diagnose([rule], [log]).findings
    assert finding.captures == {"package": "lodahs", "spec": "lodahs@^4.17.21"}
    other = log_bytes("npm error 404 Not Found - GET https://r/lodahs", "npm error 404 'other@1' is not in this registry.")
    (finding,) = diagnose([rule], [other]).findings
    assert finding.captures == {"package": "lodahs"}


def test_repeated_identical_hits_are_listed_once() -> None:
    log = log_bytes(*["npm error Missing: zod@3.23.8 from lock file"] * 3)
    (finding,) = diagnose([LOCKFILE], [log]).findings
    assert finding.count == 3
    assert finding.summary == "zod@3.23.8 | zod@3.23.8;"


NEARBY = make_rule(
    r"""
    id: hub
    match:
      any:
        - 'toomanyrequests: You have reached your pull rate limit'
      nearby:
        - pattern: '^Step \d+/\d+ : FROM (?P<image>\S+)'
          window: 3
    summary: "{{ image | default('?') }}"
    """
)


@pytest.mark.parametrize("engine", ["reference", "python"])
def test_nearby_pattern_adds_the_image_from_a_line_before(engine: str) -> None:
    log = log_bytes(
        agent("Running command docker build ."),
        "Step 1/3 : FROM old:1",
        "Step 1/7 : FROM python:3.12-slim",
        "toomanyrequests: You have reached your pull rate limit.",
    )
    (finding,) = diagnose([NEARBY], [log], options=EngineOptions(engine=engine)).findings
    assert finding.captures == {"image": "python:3.12-slim"}  # the nearest one
    assert [e.line_number for e in finding.evidence] == [4]  # the FROM line is no evidence


def test_nearby_pattern_never_fires_the_rule_and_respects_its_window() -> None:
    assert diagnose([NEARBY], [log_bytes("Step 1/7 : FROM python:3.12-slim")]).findings == ()
    far = log_bytes("Step 1/7 : FROM python:3.12-slim", "a", "b", "c", "toomanyrequests: You have reached your pull rate limit.")
    (finding,) = diagnose([NEARBY], [far]).findings
    assert finding.captures == {}
    assert finding.summary == "?"


@pytest.mark.parametrize(
    ("path", "relative"),
    [
        ("/codebuild/output/src1162446371/src/github.com/acme/billing-service/src/Main.java", "src/Main.java"),
        ("/codebuild/output/src99/src/src/Main.java", "src/Main.java"),
        ("/codebuild/output/src1/src/git-codecommit.eu-west-1.amazonaws.com/v1/repos/api/app.py", "app.py"),
        ("/codebuild/output/src1/src/bitbucket.org/team/repo/lib/a.rb", "lib/a.rb"),
        ("error in /codebuild/output/src7/src/github.com/o/r/a.go:3", "error in a.go:3"),
        ("/codebuild/output/tmp/script.sh", "/codebuild/output/tmp/script.sh"),
        ("/home/me/src/github.com/o/r/x", "/home/me/src/github.com/o/r/x"),
        # Windows images: the source directory is C:\codebuild\tmp\output\srcNNN\src\.
        (r"C:\codebuild\tmp\output\src220042227\src\Tools\LambdaExecutor.cs:line 138", r"Tools\LambdaExecutor.cs:line 138"),
        (r"c:\codebuild\tmp\output\src1\src\Web\Web.csproj(542,3)", r"Web\Web.csproj(542,3)"),
        (r"C:\codebuild\tmp\script.ps1", r"C:\codebuild\tmp\script.ps1"),
    ],
)
def test_repo_relative_strips_the_codebuild_source_prefix(path: str, relative: str) -> None:
    assert repo_relative(path) == relative


def test_templates_see_repository_paths_and_json_keeps_the_capture() -> None:
    rule = make_rule(
        r"""
        id: javac
        match:
          any:
            - '^\[ERROR\] (?P<file>/\S+\.java):\[(?P<line>\d+)'
        summary: "{{ file }}:{{ line }}"
        """
    )
    raw = "/codebuild/output/src1162446371/src/github.com/acme/billing-service/src/main/java/A.java"
    (finding,) = diagnose([rule], [log_bytes(f"[ERROR] {raw}:[57,38] incompatible types")]).findings
    assert finding.summary == "src/main/java/A.java:57"
    assert finding.captures["file"] == raw
