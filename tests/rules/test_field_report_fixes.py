"""What the fixes must say for the wordings of a field report on 42 public CodeBuild logs.

Each test runs one fixture case (its wording cited in the rule's fixture ``README.md``) and
asserts the facts the report got wrong: a fix keyed to the registry in the message, values the
log holds instead of placeholders, commands that work in a build that runs as root.
"""

from __future__ import annotations

from analyzer.engine import diagnose
from analyzer.models import Finding
from tests.helpers import REPO

FIXTURES = REPO / "fixtures" / "logs"


def _root(pack, rule_id: str, stem: str) -> Finding:  # type: ignore[no-untyped-def]
    log = (FIXTURES / rule_id / f"{stem}.log").read_bytes()
    root = diagnose(pack.rules, [log]).root_cause
    assert root is not None and root.rule_id == rule_id
    return root


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_build_image_refused_by_docker_hub_is_fixed_by_the_registry_credential_not_ecr(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "image-pull-failed", "positive-docker-hub-credential")
    assert "`hashicorp/terraform:1.2.3` from `registry-1.docker.io`" in _flat(root.summary)
    fix = _flat(root.remediation)
    assert "set-repository-policy" not in fix and "codebuild.amazonaws.com" not in fix
    assert "`registry-1.docker.io` refused the credential" in fix
    assert "aws secretsmanager put-secret-value" in fix


def test_ecr_pull_denied_names_the_logged_repository_and_region(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "image-pull-failed", "positive-ecr-pull-access-denied")
    assert "the ECR repository `ami-build-env` in ca-central-1" in _flat(root.summary)
    fix = _flat(root.remediation)
    assert "aws ecr describe-images --repository-name ami-build-env --region ca-central-1" in fix
    assert "<repository>" not in fix and "<region>" not in fix


def test_serverless_box_gives_its_message_not_its_boilerplate(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "serverless-error", "positive-v1-access-denied")
    assert root.first_line == 5 and root.captures["message"] == "Access Denied"
    assert "“Access Denied”" in root.summary
    assert "Get Support" not in root.summary and "docs.serverless.com" not in root.summary
    assert "deployment bucket" in _flat(root.remediation)


def test_serverless_missing_credentials_outranks_the_box(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "serverless-credentials-not-found", "positive-v1-deployment-bucket")
    assert root.first_line == 6
    assert "1.48.2" in root.remediation and "AWS_PROFILE" in root.remediation
    profile = _root(pack, "serverless-credentials-not-found", "positive-v2-profile")
    assert "`sandbox`" in profile.summary and "--aws-profile sandbox" in profile.remediation


def test_runtime_version_example_keeps_the_filled_version_inside_its_yaml_block(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "runtime-version-unsupported", "positive-nodejs-15")
    assert "       runtime-versions:\n         nodejs: 12\n   ```\n" in root.remediation


def test_invalid_buildspec_names_its_line_once_and_says_it_is_the_projects_inline_one(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "buildspec-invalid-yaml", "positive-inline-line-in-message")
    assert _flat(root.summary) == (
        "CodeBuild could not read the project's own (inline) buildspec: did not find expected ',' or ']' "
        "at line 19. The build stopped before running any command."
    )
    assert "not a file in the repository" in _flat(root.remediation)


def test_invalid_buildspec_reads_the_scanner_message_as_a_tab(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "buildspec-invalid-yaml", "positive-tab")
    assert "(line 3)" not in root.summary
    fix = _flat(root.remediation)
    assert "**tab** on line 3" in fix and "not a file in the repository" not in fix


def test_missing_buildspec_path_is_relative_to_the_printed_source_directory(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "buildspec-not-found", "positive-codepipeline-source-dir")
    assert "at `buildspecs/build.yml` in the build's source" in _flat(root.summary)
    assert "s3/00" not in root.summary + root.remediation
    assert "The project names the buildspec `buildspecs/build.yml`" in _flat(root.remediation)


def test_missing_buildspec_at_a_named_path_does_not_say_the_project_named_none(pack) -> None:  # type: ignore[no-untyped-def]
    fix = _flat(_root(pack, "buildspec-not-found", "positive-named-path").remediation)
    assert "The project names the buildspec `server/tenant-buildspec.yml`" in fix
    assert "unless the project names another path" not in fix and "ci/buildspec.yml" not in fix
    default = _flat(_root(pack, "buildspec-not-found", "positive-stat-no-such-file").remediation)
    assert "looks for `buildspec.yml` at the root of the source directory" in default


def test_missing_sudo_is_fixed_by_dropping_it_not_installing_it(pack) -> None:  # type: ignore[no-untyped-def]
    fix = _root(pack, "command-not-found", "positive-sudo").remediation
    assert "runs the buildspec's commands as root" in _flat(fix)
    assert "      - pip install --upgrade awscli\n" in fix
    assert "apt-get install -y sudo" not in fix and "runtime-versions" not in fix


def test_missing_pip_installs_python3_pip_without_an_unrelated_runtime(pack) -> None:  # type: ignore[no-untyped-def]
    fix = _root(pack, "command-not-found", "positive-pip-missing").remediation
    assert "apt-get install -y python3-pip" in fix
    assert "install -y pip " not in fix and "nodejs: 20" not in fix


def test_docker_hub_limit_names_the_image_buildkit_was_resolving(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "docker-hub-rate-limit", "positive-buildkit-load-metadata")
    assert root.captures["image"] == "docker.io/library/alpine:3.15.0"
    fix = _flat(root.remediation)
    assert "`public.ecr.aws/docker/library/alpine:3.15.0`" in fix and "docker-hub/library/alpine:3.15.0" in fix
    assert "<image>" not in fix


def test_lockfile_fix_follows_npm_ci_into_its_prefix_directory(pack) -> None:  # type: ignore[no-untyped-def]
    fix = _root(pack, "npm-ci-lockfile-out-of-sync", "positive-prefix-dir").remediation
    assert "npm --prefix infra install" in fix and "git add infra/package-lock.json" in fix


def test_gopath_missing_package_names_it_and_gives_modules_or_go_get(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "go-package-not-found-gopath", "positive-go-get-gopath")
    assert root.first_line == 5 and root.captures["package"] == "golang.org/x/text/encoding"
    fix = _flat(root.remediation)
    assert "go mod init" in fix and "go get -d golang.org/x/text/encoding" in fix
