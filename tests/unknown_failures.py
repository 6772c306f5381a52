"""Five kinds of build failure that no shipped rule names, as CodeBuild logs with varying details.

Each kind's error lines follow the wording of the public reports cited beside it (the tool's
own message; the numbers, paths, names and ids around it vary from build to build, as they do
in real logs). Shared by the clustering tests, the ``rules draft`` tests and the benchmark.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

AGENT = "[Container] 2026/11/27 11:02:{second:02d}.{micro:06d} "
"""The CodeBuild agent's line prefix."""


@dataclass(frozen=True)
class UnknownKind:
    """One kind of failure: where it fails, the command, and the lines the tool prints."""

    name: str
    phase: str
    command: str
    output: Callable[[random.Random, int], list[str]]
    """The command's output for build number ``n`` (names cycle with ``n``, numbers come from ``rng``)."""
    template: str
    """The cluster template the kind must give (``<*>`` for what varies)."""
    source: str
    """The public report the wording is from."""


def _pick(values: list[str], n: int) -> str:
    return values[n % len(values)]


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _helm(rng: random.Random, n: int) -> list[str]:
    # https://github.com/helm/helm/issues/8987 (with --debug), https://github.com/helm/helm/issues/10549
    release = _pick(["checkout-api", "payments", "web-frontend", "orders"], n)
    return [
        f"history.go:{rng.randint(50, 60)}: [debug] getting history for release {release}",
        f"upgrade.go:{rng.randint(110, 140)}: [debug] preparing upgrade for {release}",
        "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress",
    ]


def _kubectl(rng: random.Random, n: int) -> list[str]:
    # https://github.com/elgris/microservice-app-example/issues/21,
    # https://github.com/cloudnativedevops/demo/issues/32
    service = _pick(["auth-api", "frontend", "todos-api", "users-api", "zipkin", "redis-queue"], n)
    kind = _pick(["Deployment", "DaemonSet", "StatefulSet"], n)
    return [
        f"service/{service} created",
        f'error: unable to recognize "k8s/{service}/deployment-{rng.randint(1, 99)}.yaml": '
        f'no matches for kind "{kind}" in version "extensions/v1beta1"',
    ]


def _alembic(rng: random.Random, n: int) -> list[str]:
    # https://github.com/PrefectHQ/prefect/issues/6050, https://github.com/rivenmedia/riven/issues/890
    site = f"/root/.pyenv/versions/3.{rng.randint(9, 12)}.{rng.randint(0, 9)}/lib/python3.11/site-packages"
    return [
        "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.",
        "INFO  [alembic.runtime.migration] Will assume transactional DDL.",
        "Traceback (most recent call last):",
        f'  File "{site}/alembic/script/base.py", line {rng.randint(200, 290)}, in _catch_revision_errors',
        "    yield",
        f'  File "{site}/alembic/script/base.py", line {rng.randint(400, 470)}, in _upgrade_revs',
        "    for script in reversed(list(revs))",
        f"alembic.util.exc.CommandError: Can't locate revision identified by '{_hex(rng, 12)}'",
    ]


def _flake8(rng: random.Random, n: int) -> list[str]:
    # https://github.com/upyun/python-sdk/pull/55, https://github.com/whipper-team/whipper/issues/273
    module = _pick(["views", "models", "rest", "config", "tasks"], n)
    package = _pick(["app", "api", "worker"], n)
    lines = []
    for _ in range(rng.randint(1, 3)):
        length = rng.randint(80, 120)
        lines.append(
            f"./{package}/{module}.py:{rng.randint(10, 900)}:80: E501 line too long ({length} > 79 characters)"
        )
    return lines


def _rust(rng: random.Random, n: int) -> list[str]:
    # https://github.com/sebadob/rauthy/issues/996, https://github.com/clickswave/mach/issues/2
    name = _pick(["node_config", "state", "app_args", "libs", "vars"], n)
    line, col = rng.randint(10, 400), rng.randint(5, 40)
    return [
        f"   Compiling rauthy-models v0.{rng.randint(20, 30)}.{rng.randint(0, 9)} (/codebuild/output/src{rng.randint(10**8, 10**9)}/src)",
        f"error[E0425]: cannot find value `{name}` in this scope",
        f"   --> src/models/src/config_{rng.randint(1, 9)}.rs:{line}:{col}",
        "    |",
        f"{line} |             is_ha_deployment: {name}.nodes.len() > 1,",
        "    |                               ^^^^^^^^^^^ not found in this scope",
        "",
        "For more information about this error, try `rustc --explain E0425`.",
        f"error: could not compile `rauthy-models` (lib) due to {rng.randint(1, 40)} previous errors",
    ]


KINDS = (
    UnknownKind(
        "helm", "POST_BUILD", "helm upgrade --install --wait", _helm,
        "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress",
        "https://github.com/helm/helm/issues/8987",
    ),
    UnknownKind(
        "kubectl", "BUILD", "kubectl apply -f k8s/ --recursive", _kubectl,
        'error: unable to recognize <*> no matches for kind <*> in version "extensions/v1beta1"',
        "https://github.com/elgris/microservice-app-example/issues/21",
    ),
    UnknownKind(
        "alembic", "PRE_BUILD", "alembic upgrade head", _alembic,
        "alembic.util.exc.CommandError: Can't locate revision identified by <*>",
        "https://github.com/PrefectHQ/prefect/issues/6050",
    ),
    UnknownKind(
        "flake8", "BUILD", "flake8 app api worker", _flake8,
        "<*> E501 line too long <*> > 79 characters)",
        "https://github.com/upyun/python-sdk/pull/55",
    ),
    UnknownKind(
        "rust", "BUILD", "cargo build --release", _rust,
        "error[E0425]: cannot find value <*> in this scope",
        "https://github.com/sebadob/rauthy/issues/996",
    ),
)
"""The five kinds, by name."""

PHASES = ("DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD")


def log_lines(kind: UnknownKind, rng: random.Random, n: int = 0) -> list[str]:
    """A whole CodeBuild log of one build failing with ``kind`` (agent lines around the output)."""
    clock = iter(range(0, 60))

    def agent(text: str) -> str:
        return AGENT.format(second=next(clock), micro=rng.randint(0, 999_999)) + text

    src = f"/codebuild/output/src{rng.randint(10**8, 10**9)}/src"
    lines = [agent("Running on CodeBuild On-demand"), agent("Waiting for agent ping"),
             agent(f"CODEBUILD_SRC_DIR={src}"), agent("YAML location is /codebuild/readonly/buildspec.yml")]  # fmt: skip
    for phase in PHASES:
        lines.append(agent(f"Entering phase {phase}"))
        if phase == kind.phase:
            lines.append(agent(f"Running command {kind.command}"))
            lines += kind.output(rng, n)
            lines.append(agent(f"Command did not exit successfully {kind.command} exit status 1"))
            lines.append(agent(f"Phase complete: {phase} State: FAILED"))
            lines.append(
                agent(
                    f"Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing "
                    f"command: {kind.command}. Reason: exit status 1"
                )
            )
            break
        lines.append(agent(f"Phase complete: {phase} State: SUCCEEDED"))
        lines.append(agent("Phase context status code:  Message: "))
    return [line + "\n" for line in lines]


def record(kind: UnknownKind, project: str, minutes: int) -> dict[str, object]:
    """A ``BatchGetBuilds`` record of a build that failed in ``kind.phase`` after ``minutes``."""
    phases: list[dict[str, object]] = [{"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED", "durationInSeconds": 0}]
    for phase in PHASES:
        if phase == kind.phase:
            phases.append(
                {"phaseType": phase, "phaseStatus": "FAILED", "durationInSeconds": minutes * 60,
                 "contexts": [{"statusCode": "COMMAND_EXECUTION_ERROR",
                               "message": f"Error while executing command: {kind.command}. Reason: exit status 1"}]}
            )  # fmt: skip
            break
        phases.append({"phaseType": phase, "phaseStatus": "SUCCEEDED", "durationInSeconds": 0})
    phases.append({"phaseType": "COMPLETED"})
    return {"projectName": project, "buildStatus": "FAILED", "phases": phases}


def success_lines(rng: random.Random, project: str) -> list[str]:
    """The log of a build of ``project`` that succeeded (every phase, output that is no error)."""
    second = iter(range(0, 60))

    def agent(text: str) -> str:
        return AGENT.format(second=next(second), micro=rng.randint(0, 999_999)) + text

    lines = [agent("Running on CodeBuild On-demand"), agent("Waiting for agent ping")]
    for phase in PHASES:
        lines.append(agent(f"Entering phase {phase}"))
        if phase == "BUILD":
            lines += [agent("Running command make release"), f"Building {project} {rng.randint(1, 9)}.{rng.randint(0, 9)}",
                      "Collected 214 items; 214 passed", f'Release "{project}" has been upgraded. Happy Helming!']  # fmt: skip
        lines.append(agent(f"Phase complete: {phase} State: SUCCEEDED"))
        lines.append(agent("Phase context status code:  Message: "))
    return [line + "\n" for line in lines]


def success_record(project: str) -> dict[str, object]:
    """A ``BatchGetBuilds`` record of a build that succeeded."""
    phases: list[dict[str, object]] = [{"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED", "durationInSeconds": 0}]
    phases += [{"phaseType": p, "phaseStatus": "SUCCEEDED", "durationInSeconds": 30} for p in PHASES]
    phases.append({"phaseType": "COMPLETED"})
    return {"projectName": project, "buildStatus": "SUCCEEDED", "phases": phases}
