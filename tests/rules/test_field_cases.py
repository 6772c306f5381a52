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
