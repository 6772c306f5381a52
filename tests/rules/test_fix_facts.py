"""Facts a fix must get right (each a reviewer's finding: the advice was wrong for CodeBuild).

- CodeBuild takes artifact ``files`` and ``base-directory`` relative to the source directory
  (https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.artifacts),
  so a build moved to ``C:\\s`` must copy its outputs back under ``$CODEBUILD_SRC_DIR``.
- packages.config projects restore into the solution's packages folder (``nuget restore
  -PackagesDirectory``, ``repositoryPath``), not into ``NUGET_PACKAGES``
  (https://learn.microsoft.com/nuget/reference/cli-reference/cli-ref-restore).
- CodeBuild checks the source out in DOWNLOAD_SOURCE, before ``install`` runs.
- ``update-project --environment`` replaces the whole environment
  (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_UpdateProject.html).
"""

from __future__ import annotations

import json

from analyzer.engine import diagnose
from analyzer.models import Build, Finding
from tests.helpers import REPO

FIXTURES = REPO / "fixtures" / "logs"


def _root(pack, rule_id: str, log: bytes, record: str | None = None) -> Finding:  # type: ignore[no-untyped-def]
    build = None
    if record:
        build = Build.from_api(json.loads((FIXTURES / rule_id / f"{record}.json").read_text(encoding="utf-8")))
    root = diagnose(pack.rules, [log], build).root_cause
    assert root is not None and root.rule_id == rule_id
    return root


def _case(rule_id: str, stem: str) -> bytes:
    return (FIXTURES / rule_id / f"{stem}.log").read_bytes()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_path_too_long_net_fix_copies_outputs_back_under_the_source_directory(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "windows-path-too-long", _case("windows-path-too-long", "positive-nuget-restore"))
    flat = _flat(root.remediation)
    assert "copy the outputs back under `$CODEBUILD_SRC_DIR`" in flat
    assert "- Copy-Item -Recurse C:\\s\\<output folder> $env:CODEBUILD_SRC_DIR\\<output folder>" in root.remediation
    assert "point the artifacts' `base-directory` at it" not in flat
    # packages.config projects: a short packages folder, not only NUGET_PACKAGES.
    assert "`nuget restore <solution> -PackagesDirectory C:\\p`" in flat
    assert "set `repositoryPath` to it in the solution's `nuget.config`" in flat
    assert "`NUGET_PACKAGES` does not move this folder" in flat


DOWNLOAD_SOURCE_LOG = b"""\
[Container] 2024/01/01 10:00:00.123456 Waiting for DOWNLOAD_SOURCE
[Container] 2024/01/01 10:00:00.123456 Phase is DOWNLOAD_SOURCE
error: unable to create file tests/baselines/reference/very/long/file.js: Filename too long
fatal: unable to checkout working tree
[Container] 2024/01/01 10:00:00.123456 Phase complete: DOWNLOAD_SOURCE State: FAILED
"""


def test_path_too_long_in_download_source_says_install_is_too_late(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "windows-path-too-long", DOWNLOAD_SOURCE_LOG)
    assert root.phase == "DOWNLOAD_SOURCE"
    flat = _flat(root.remediation)
    assert "a `git config core.longpaths` in `install` comes too late for this checkout" in flat
    assert "- git -c core.longpaths=true clone --depth 1 <repository URL> C:\\s" in root.remediation
    assert "- git config --global core.longpaths true" not in root.remediation


def test_path_too_long_in_a_build_command_keeps_the_longpaths_config(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "windows-path-too-long", _case("windows-path-too-long", "positive-git-filename-too-long"))
    assert "- git config --global core.longpaths true" in root.remediation
    assert "too late" not in root.remediation


def test_crlf_fix_names_an_extensionless_script_not_star_sh(pack) -> None:  # type: ignore[no-untyped-def]
    log = b"""\
[Container] 2024/01/01 10:00:00.123456 Entering phase BUILD
[Container] 2024/01/01 10:00:00.123456 Running command ./gradlew build
/codebuild/output/tmp/script.sh: ./gradlew: /bin/sh^M: bad interpreter: No such file or directory
[Container] 2024/01/01 10:00:00.123456 Command did not exit successfully ./gradlew build exit status 126
"""
    root = _root(pack, "script-crlf-line-endings", log)
    assert "printf 'gradlew text eol=lf\\n' >> .gitattributes" in root.remediation
    assert "*.sh" not in root.remediation
    assert "- sed -i 's/\\r$//' ./gradlew" in root.remediation


def test_crlf_fix_keeps_the_extension_pattern_for_a_dot_sh_script(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "script-crlf-line-endings", _case("script-crlf-line-endings", "positive-bad-interpreter-caret-m"))
    assert "printf '*.sh text eol=lf\\n' >> .gitattributes" in root.remediation


def _says_environment_is_replaced(remediation: str) -> bool:
    flat = _flat(remediation)
    return (
        "`--environment` replaces the project's whole environment: environment variables, the certificate "
        "and the registry credential that you do not repeat in it are removed." in flat
        and "--query 'projects[0].environment'" in flat
    )


def test_lambda_fixes_that_give_update_project_say_it_replaces_the_environment(pack) -> None:  # type: ignore[no-untyped-def]
    cases = [
        ("command-not-found", "positive-lambda-apt-get", "positive-lambda-apt-get"),
        ("package-manager-needs-root", "positive-lambda-yum", "positive-lambda-yum"),
        ("docker-daemon-not-running", "positive-lambda-compute", "positive-lambda-compute"),
    ]
    for rule_id, stem, record in cases:
        root = _root(pack, rule_id, _case(rule_id, stem), record)
        assert "aws codebuild update-project" in root.remediation, rule_id
        assert _says_environment_is_replaced(root.remediation), rule_id


def test_read_only_file_system_on_lambda_gives_the_logged_npm_command_with_a_tmp_prefix(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(
        pack, "read-only-file-system", _case("read-only-file-system", "positive-lambda-npm-global"), "positive-lambda-npm-global"
    )
    assert root.captures["command"] == "npm install -g typescript"
    assert '- npm install -g typescript --prefix /tmp/npm-global && export PATH="/tmp/npm-global/bin:$PATH"' in root.remediation
    assert "<package>" not in root.remediation
    assert "pip install" not in root.remediation


def test_read_only_file_system_on_lambda_gives_pip_target_without_user(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "read-only-file-system", _case("read-only-file-system", "positive-pip-errno-30"), "positive-lambda-mkdir")
    assert "- pip install pillow --target /tmp/pylib && export PYTHONPATH=/tmp/pylib" in root.remediation
    assert "<package>" not in root.remediation


def test_read_only_file_system_on_lambda_without_an_install_command_invents_no_package(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "read-only-file-system", _case("read-only-file-system", "positive-lambda-mkdir"), "positive-lambda-mkdir")
    assert "<package>" not in root.remediation
    assert "`npm install --global --prefix /tmp/npm-global ...`" in _flat(root.remediation)


def test_a_missing_loader_of_an_installed_program_gets_no_line_ending_fix(pack) -> None:  # type: ignore[no-untyped-def]
    """bash 5.2's 'cannot execute: required file not found' on a program outside the source (a
    glibc tarball's node on Alpine): .gitattributes cannot reach it and sed would corrupt a binary."""
    log = b"""\
[Container] 2026/11/20 10:30:06.000000 Entering phase INSTALL
[Container] 2026/11/20 10:30:06.100000 Running command node --version
/codebuild/output/tmp/script.sh: line 4: /usr/local/bin/node: cannot execute: required file not found
[Container] 2026/11/20 10:30:06.200000 Command did not exit successfully node --version exit status 127
"""
    root = _root(pack, "script-crlf-line-endings", log)
    assert "`/usr/local/bin/node` is not a file of the repository" in root.remediation
    assert ".gitattributes" not in root.remediation and "sed -i" not in root.remediation
    assert "interpreter /lib64/ld-linux-x86-64.so.2" in root.remediation


def test_a_missing_commit_is_not_looked_up_with_ls_remote(pack) -> None:  # type: ignore[no-untyped-def]
    """`git ls-remote` lists branch and tag tips only: an existing commit SHA would look missing."""
    log = _case("source-version-not-found", "positive-bare-download-source")
    sha = "3f9c2e1a7b4d5e6f708192a3b4c5d6e7f8091a2b"
    build = Build.from_api({"id": "web:cccccccc-1111-2222-3333-444444444444", "buildStatus": "FAILED", "sourceVersion": sha})
    root = diagnose(pack.rules, [log], build).root_cause
    assert root is not None and root.rule_id == "source-version-not-found"
    assert "ls-remote <url> | grep" not in root.remediation
    assert f"git branch -r --contains {sha}" in root.remediation
    branch = Build.from_api({"id": "web:cccccccc-1111-2222-3333-444444444444", "buildStatus": "FAILED", "sourceVersion": "refs/heads/main"})
    assert "git ls-remote <url> | grep refs/heads/main" in diagnose(pack.rules, [log], branch).root_cause.remediation  # type: ignore[union-attr]
    unnamed = Build.from_api({"id": "web:cccccccc-1111-2222-3333-444444444444", "buildStatus": "FAILED"})
    assert "--ids web:cccccccc-1111-2222-3333-444444444444" in diagnose(pack.rules, [log], unnamed).root_cause.remediation  # type: ignore[union-attr]
