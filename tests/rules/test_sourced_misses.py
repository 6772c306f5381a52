"""Issue 14's last sourced misses: .NET Core's path wording, Go's and Java's read-only file system, apk as non-root.

Each wording comes from the report cited in its fixture folder's README; these tests hold the
facts the findings state (Windows only for .NET's path sentence, the fix for Go's cache and work
directory, apk's missing root).
"""

from __future__ import annotations

from analyzer.engine import diagnose
from tests.helpers import REPO

FIXTURES = REPO / "fixtures" / "logs"


def _diagnose(pack, rule_id: str, stem: str):  # type: ignore[no-untyped-def]
    return diagnose(pack.rules, [(FIXTURES / rule_id / f"{stem}.log").read_bytes()])


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_dotnet_core_path_too_long_names_the_path_inside_the_checkout(pack) -> None:  # type: ignore[no-untyped-def]
    root = _diagnose(pack, "windows-path-too-long", "positive-dotnet-core-path").root_cause
    assert root is not None and root.rule_id == "windows-path-too-long"
    assert root.captures["dotnet_path"].startswith("C:\\codebuild\\tmp\\output\\src2291377054\\src\\services\\")
    assert "(297 characters inside the checkout)" in _flat(root.summary)


def test_dotnet_path_sentence_on_linux_and_createprocess_206_are_not_windows_paths(pack) -> None:  # type: ignore[no-untyped-def]
    for stem in ("negative-linux-dotnet-name-too-long", "negative-createprocess-command-line-206"):
        findings = _diagnose(pack, "windows-path-too-long", stem).findings
        assert "windows-path-too-long" not in [f.rule_id for f in findings], stem


def test_go_in_a_read_only_container_gets_a_writable_tmp_and_cache(pack) -> None:  # type: ignore[no-untyped-def]
    root = _diagnose(pack, "read-only-file-system", "positive-go-read-only-container").root_cause
    assert root is not None and root.rule_id == "read-only-file-system"
    assert root.captures["path"] == "/tmp/go-build2203374890"
    flat = _flat(root.remediation)
    assert "give a `--read-only` container a writable `/tmp` with `--tmpfs /tmp`" in flat
    assert "`export GOCACHE=/tmp/go-cache`" in flat


def test_java_nio_read_only_names_the_path(pack) -> None:  # type: ignore[no-untyped-def]
    root = _diagnose(pack, "read-only-file-system", "positive-java-nio-file-system-exception").root_cause
    assert root is not None and root.rule_id == "read-only-file-system"
    assert root.captures["path"] == "/workspace/build"


def test_apk_as_non_root_is_the_package_manager_needing_root(pack) -> None:  # type: ignore[no-untyped-def]
    root = _diagnose(pack, "package-manager-needs-root", "positive-apk-non-root-image").root_cause
    assert root is not None and root.rule_id == "package-manager-needs-root"
    assert [e.line_number for e in root.evidence] == [3]
    assert "`USER root`, `RUN apk add --no-cache <packages>`" in _flat(root.remediation)
