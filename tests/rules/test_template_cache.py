"""The on-disk cache of compiled templates: a later process loads bytecode instead of compiling.

Each case runs fresh processes (a process keeps its templates in memory), counting the
templates the sandbox compiles: none when the cache served them all.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest

from analyzer.rules import templates
from analyzer.rules.compiled import CACHE_ENV

ROOT = Path(__file__).resolve().parents[2]

# Renders each [text, variables] of the JSON list on stdin; prints each result (or the exception's class and
# text) and how many templates the sandbox compiled in this process.
CHILD = """
import json, sys
from analyzer.rules import templates

compiled = 0
original = templates._RuleSandbox.compile

def counting(self, *args, **kwargs):
    global compiled
    compiled += 1
    return original(self, *args, **kwargs)

templates._RuleSandbox.compile = counting
results = []
for text, variables in json.load(sys.stdin):
    try:
        results.append(["ok", templates.compile_template(text)(variables)])
    except Exception as exc:
        results.append([type(exc).__name__, str(exc)])
print(json.dumps({"results": results, "compiled": compiled}))
"""

CASES = [
    ['run `x`{% if name %} for "{{ name }}"{% endif %}\n```\nnext\n', {"name": "web"}],
    ["one\n  {% if flag %}\ntwo\n  {% endif %}\nthree\n", {"flag": False}],
    [
        "{% for p in captures %}- {{ p }}={{ captures[p] }}\n{% endfor %}",
        {"captures": {"a": "1", "b": "2"}},
    ],
]
EXPECTED = [
    ["ok", 'run `x` for "web"\n```\nnext'],
    ["ok", "one\nthree"],
    ["ok", "- a=1\n- b=2"],
]


def _run(cache: Path, cases: list[list[Any]]) -> dict[str, Any]:
    env = {**os.environ, CACHE_ENV: str(cache), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    return json.loads(out.stdout)


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "templates").glob("*/*.j2c"))


def test_a_second_process_loads_every_template_from_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _run(cache, CASES)
    assert cold == {"results": EXPECTED, "compiled": 3}
    entries = _entries(cache)
    assert len(entries) == 3
    assert {entry.parent.name for entry in entries} == {templates._cache_fingerprint()}
    assert _run(cache, CASES) == {"results": EXPECTED, "compiled": 0}


def test_cache_files_are_private(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run(cache, CASES[:1])
    (entry,) = _entries(cache)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.parent.parent.stat().st_mode) == 0o700
    assert not list(entry.parent.glob("*.tmp"))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:40] + bytes(b ^ 0x5A for b in data[40:]), id="corrupt"),
        pytest.param(lambda data: b"", id="empty"),
        # A right digest over content that is not Jinja bytecode: Jinja's own header check.
        pytest.param(lambda data: hashlib.sha256(b"junk").digest() + b"junk", id="foreign"),
        # A right digest over a cut-off Jinja file: its header passes, unpickling then fails.
        pytest.param(
            lambda data: hashlib.sha256(data[32:50]).digest() + data[32:50], id="cut-off-payload"
        ),
    ],
)
def test_a_damaged_entry_is_ignored_and_rewritten(tmp_path: Path, damage: Any) -> None:
    cache = tmp_path / "cache"
    _run(cache, CASES)
    damaged = {}
    for entry in _entries(cache):
        damaged[entry] = damage(entry.read_bytes())
        entry.write_bytes(damaged[entry])
    assert _run(cache, CASES) == {"results": EXPECTED, "compiled": 3}
    assert all(entry.read_bytes() != data for entry, data in damaged.items())
    assert _run(cache, CASES) == {"results": EXPECTED, "compiled": 0}


def test_an_entry_whose_code_was_changed_is_not_run(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run(cache, CASES)
    changed = 0
    for entry in _entries(cache):
        data = entry.read_bytes()
        if b"next" in data:  # the first case's text, a constant in its compiled code
            entry.write_bytes(data.replace(b"next", b"NEXT"))
            changed += 1
    assert changed == 1
    assert _run(cache, CASES) == {"results": EXPECTED, "compiled": 1}


def test_an_unwritable_cache_still_renders(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    for _ in range(2):
        assert _run(blocker / "cache", CASES) == {"results": EXPECTED, "compiled": 3}
    assert blocker.read_text(encoding="utf-8") == "not a directory"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="the check needs POSIX owners and modes")
def test_a_directory_others_may_write_to_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shared = cache / "templates" / templates._cache_fingerprint()
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    for _ in range(2):
        assert _run(cache, CASES) == {"results": EXPECTED, "compiled": 3}
    assert list(shared.iterdir()) == []


def test_the_sandbox_is_as_strict_with_cached_bytecode(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cases = [
        ["{{ ('a' * 10**9) | length }}", {}],
        ["{{ 10 ** 100000 }}", {}],
        ["{{ ''.__class__ }}", {}],
        ["{{ ''.__class__.__mro__[1].__subclasses__() }}", {}],
        ["{{ x.__init__.__globals__ }}", {"x": "s"}],
    ]
    expected = [
        ["SecurityError", "a repeated value would be too long for a rule template"],
        ["SecurityError", "exponent 100000 is too large for a rule template"],
        ["ok", ""],
        ["SecurityError", "access to attribute '__class__' of 'str' object is unsafe."],
        ["SecurityError", "access to attribute '__init__' of 'str' object is unsafe."],
    ]
    assert _run(cache, cases) == {"results": expected, "compiled": 5}
    assert len(_entries(cache)) == 5
    assert _run(cache, cases) == {"results": expected, "compiled": 0}


def test_a_syntax_error_is_raised_every_time_and_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    for _ in range(2):
        with pytest.raises(jinja2.TemplateSyntaxError) as info:
            templates.compile_template("fine\n{% if x %}\n{{ }\n")
        assert (info.value.lineno, info.value.message) == (3, "unexpected '}'")
    assert _entries(tmp_path / "cache") == []
    cases = [["fine\n{% if x %}\n{{ }\n", {}]]
    for _ in range(2):
        assert _run(tmp_path / "cache", cases) == {
            "results": [["TemplateSyntaxError", "unexpected '}'"]],
            "compiled": 1,
        }
    assert _entries(tmp_path / "cache") == []


def test_the_shipped_pack_renders_the_same_from_the_cache(tmp_path: Path) -> None:
    from analyzer.rules import load_rules

    variables = {"build": {}, "captures": {}, "phase": "BUILD", "count": 2}
    cases = [
        [rule.raw[name], variables]
        for rule in load_rules().rules
        for name in ("summary", "remediation")
    ]
    cold = _run(tmp_path / "cache", cases)
    assert cold["compiled"] == len({text for text, _ in cases}) > 100
    assert sum(result[0] == "ok" for result in cold["results"]) > 100
    warm = _run(tmp_path / "cache", cases)
    assert warm == {"results": cold["results"], "compiled": 0}
