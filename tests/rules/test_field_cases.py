"""Field cases (inputs the tool once got wrong), each with the right answer asserted.

The logs are kept as fixture cases of the rule that must explain them
(``fixtures/logs/<rule-id>/positive-field-NNN-*.log``); these tests pin what the
report must say, beyond the rule id and lines that ``expected.json`` holds.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.engine import diagnose
from analyzer.models import Diagnosis, Severity
from tests.helpers import REPO

FIXTURES = REPO / "fixtures" / "logs"


def _diagnose(pack, rule_id: str, stem: str) -> Diagnosis:
    path: Path = FIXTURES / rule_id / f"{stem}.log"
    return diagnose(pack.rules, [path.read_bytes()])


def test_001_lockfile_lines_keep_their_own_values(pack) -> None:
    root = _diagnose(pack, "npm-ci-lockfile-out-of-sync", "positive-field-001-two-lines").root_cause
    assert root is not None and root.rule_id == "npm-ci-lockfile-out-of-sync"
    assert {11, 12} <= {e.line_number for e in root.evidence}
    assert root.summary == (
        "`npm ci` stopped because `package-lock.json` is not in sync with `package.json`: "
        "`zod@3.23.8` is missing from the lock file; "
        "the lock file's `typescript@5.3.3` does not satisfy `typescript@5.4.5`."
    )
    assert "`zod@3.23.8` does not satisfy" not in root.summary


def test_002_compile_error_path_is_relative_to_the_repository(pack) -> None:
    root = _diagnose(pack, "maven-compilation-error", "positive-field-002-github-source-path").root_cause
    assert root is not None and root.rule_id == "maven-compilation-error"
    assert root.first_line == 18 and 20 in {e.line_number for e in root.evidence}
    assert root.summary.startswith("Compilation failed at `src/main/java/com/acme/billing/InvoiceService.java:57`:")
    assert "- `src/main/java/com/acme/billing/InvoiceService.java` line 57:" in root.remediation
    assert "- `src/main/java/com/acme/billing/TaxCalculator.java` line 12:" in root.remediation
    assert "src1162446371" not in root.summary + root.remediation
    assert "github.com/acme" not in root.summary + root.remediation
    assert root.severity is Severity.ERROR


def _diagnose_record(pack, rule_id: str, stem: str) -> Diagnosis:
    from analyzer.models import Build
    import json

    record = json.loads((FIXTURES / rule_id / f"{stem}.json").read_text())
    return diagnose(pack.rules, None, Build.from_api(record))


def test_docker_hub_limit_on_the_build_image_is_fixed_by_the_projects_registry_credential(pack) -> None:
    root = _diagnose_record(pack, "docker-hub-rate-limit", "positive-build-image").root_cause
    assert root is not None and root.rule_id == "docker-hub-rate-limit" and root.phase == "PROVISIONING"
    assert "`node:20-bullseye`" in root.summary
    assert '"registryCredential"' in root.remediation and '"imagePullCredentialsType": "SERVICE_ROLE"' in root.remediation
    assert "Copy the image to ECR" in root.remediation
    # A docker login in the buildspec runs after the build image is pulled: it cannot be the fix.
    assert "docker login --username" not in root.remediation
    assert "pre_build:" not in root.remediation


def test_docker_hub_limit_names_the_image_of_the_from_step_or_the_pull(pack) -> None:
    build = _diagnose(pack, "docker-hub-rate-limit", "positive-docker-build").root_cause
    assert build is not None and build.captures == {"image": "node:18-alpine"}
    assert "public.ecr.aws/docker/library/node:18-alpine" in build.remediation
    assert "docker login --username" in build.remediation  # an in-build pull: logging in does help
    pull = _diagnose(pack, "docker-hub-rate-limit", "positive-docker-pull").root_cause
    assert pull is not None and pull.captures == {"image": "postgres:16-alpine"}
    assert pull.summary.startswith("Docker Hub refused to serve `postgres:16-alpine`")


def test_003_securestring_kms_denial_names_the_key_and_the_role(pack) -> None:
    diagnosis = _diagnose(pack, "ssm-securestring-kms-denied", "positive-field-003-kms-decrypt-denied")
    root = diagnosis.root_cause
    assert root is not None and root.rule_id == "ssm-securestring-kms-denied"
    assert root.severity is Severity.CRITICAL and root.first_line == 4
    key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert root.captures["key_arn"] == key and root.captures["role_name"] == "codebuild-orders-api-role"
    assert '"Action": "kms:Decrypt",' in root.remediation and f'"Resource": "{key}"' in root.remediation
    assert "arn:aws:iam::111122223333:role/codebuild-orders-api-role" in root.remediation
    assert "ssm:GetParameters" in root.remediation


def test_004_npm_e401_is_a_registry_authentication_failure(pack) -> None:
    diagnosis = _diagnose(pack, "npm-registry-auth-failed", "positive-field-004-codeartifact-e401")
    root = diagnosis.root_cause
    assert root is not None and root.rule_id == "npm-registry-auth-failed"
    assert root.first_line == 6 and root.phase == "PRE_BUILD"
    assert [f.rule_id for f in diagnosis.findings] == ["npm-registry-auth-failed", "command-execution-error"]
    assert root.captures["codeartifact_url"] == "https://acme-111122223333.d.codeartifact.eu-west-1.amazonaws.com/npm/npm-store"
    assert "aws codeartifact login --tool npm" in root.remediation


def test_005_terraform_state_lock_names_the_lock_and_its_holder(pack) -> None:
    root = _diagnose(pack, "terraform-state-lock", "positive-field-005-dynamodb-lock").root_cause
    assert root is not None and root.rule_id == "terraform-state-lock" and root.first_line == 3
    assert root.captures == {
        "lock_id": "4b6a1f0e-7e3c-9a1b-2c3d-4e5f6a7b8c9d",
        "who": "root@ip-10-0-12-34",
        "lock_path": "acme-tfstate/prod/terraform.tfstate",
        "created": "2024-09-03 15:41:02",
    }
    assert "terraform force-unlock 4b6a1f0e-7e3c-9a1b-2c3d-4e5f6a7b8c9d" in root.remediation
    assert "Only when you are sure no run is writing the state" in root.remediation


def test_docker_on_lambda_compute_is_fixed_by_ec2_compute_not_privileged_mode(pack) -> None:
    import json

    from analyzer.models import Build

    folder = FIXTURES / "docker-daemon-not-running"
    record = json.loads((folder / "positive-lambda-compute.json").read_text(encoding="utf-8"))
    log = (folder / "positive-lambda-compute.log").read_bytes()
    root = diagnose(pack.rules, [log], Build.from_api(record)).root_cause
    assert root.rule_id == "docker-daemon-not-running"
    assert "ran on Lambda compute (`BUILD_LAMBDA_2GB`), which has no Docker daemon to start" in root.summary
    assert '"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0"' in root.remediation
    assert "BUILD_LAMBDA_2GB\", \"privilegedMode\"" not in root.remediation  # no Lambda type with privileged mode
    assert "Turn on privileged mode" not in root.remediation
    # On EC2 compute the fix stays privileged mode, with the project's own image and compute type.
    ec2 = json.loads((folder / "positive-docker-login.json").read_text(encoding="utf-8"))
    root = diagnose(pack.rules, [(folder / "positive-docker-login.log").read_bytes()], Build.from_api(ec2)).root_cause
    assert root.remediation.startswith("Turn on privileged mode for the project `app`")
