"""Every fixture case: the whole pack's findings equal ``expected.json`` (rank, lines, captures)."""

from __future__ import annotations

import pytest

from analyzer.rules.fixtures import load_expected, run_case
from tests.rules.conftest import CASES


@pytest.mark.parametrize("case", CASES, ids=[c.case_id for c in CASES])
def test_case_matches_expected(pack, case):
    expected = load_expected(case.directory)
    assert case.name in expected, f"{case.case_id} has no entry in expected.json: run scripts/update_expected.py"
    assert run_case(pack.rules, case) == expected[case.name]


def test_expected_files_have_no_stale_entries():
    stems = {}
    for case in CASES:
        stems.setdefault(case.directory, set()).add(case.name)
    for directory, names in stems.items():
        assert set(load_expected(directory)) == names, directory.name


def test_kotlin_compiler_errors_are_kotlins_not_mavens(pack):
    """Kotlin's ``e:`` lines and the kotlin-maven-plugin's ``.kt:[L,C]`` errors name Kotlin, whatever
    the build tool (they were reported as ``maven-compilation-error``)."""
    from analyzer.engine import diagnose

    for line in (
        "e: file:///src/main/kotlin/App.kt:79:33 Unresolved reference: FileUtils",
        "e: /src/main/java/com/acme/CastleModule.kt: (26, 35): Unresolved reference: VERSION_NAME",
        "[ERROR] /src/main/kotlin/HelloWorldClient.kt:[22,36] Unresolved reference: GreeterGrpcKt",
        "Execution failed for task ':file_saver:compileDebugKotlin'.",
    ):
        fired = [f.rule_id for f in diagnose(pack.rules, [line.encode() + b"\n"]).findings]
        assert "kotlin-compilation-error" in fired and "maven-compilation-error" not in fired, (line, fired)
    java = b"[ERROR] /src/main/java/App.java:[12,5] cannot find symbol\n"
    assert [f.rule_id for f in diagnose(pack.rules, [java]).findings][:1] == ["maven-compilation-error"]
