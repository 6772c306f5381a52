"""A moto server seeded once per session with 220 builds of 4 projects, of every status and age.

The builds are written straight into moto's backends (no HTTP round trips), in
their own Region so no other test's builds are listed. ``SeededScan.expected``
says, for each build, whether a scan with ``--since 3d`` and the default
statuses selects it and what its outcome must be.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from analyzer.demo import FAKE_CREDENTIALS, load_samples, moto_server, seed_builds_in_process

REGION = "eu-west-3"
PROJECTS = ("api", "web", "worker", "docs")
SINCE_DAYS = 3

_FAILED_BUILD_PHASES = [
    {"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED", "durationInSeconds": 0},
    {"phaseType": "PROVISIONING", "phaseStatus": "SUCCEEDED", "durationInSeconds": 20},
    {"phaseType": "BUILD", "phaseStatus": "FAILED", "durationInSeconds": 100},
    {"phaseType": "COMPLETED"},
]
_PROVISIONING_FAILED = [
    {"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED", "durationInSeconds": 0},
    {"phaseType": "PROVISIONING", "phaseStatus": "FAILED", "durationInSeconds": 60},
    {"phaseType": "COMPLETED"},
]


@dataclass(frozen=True)
class Kind:
    """A kind of seeded build and the outcome a scan must give it."""

    name: str
    record: dict[str, Any]
    log_lines: list[str] | None
    root_cause: str | None
    """Expected root cause rule id ('unknown' for none), or None when the build must be skipped."""
    skip_reason: str | None = None
    """A substring of the skip reason."""
    stream_exists: bool = True


@dataclass
class SeededScan:
    """The seeded server and what a scan of it must find."""

    endpoint: str
    ids: dict[str, dict[str, Any]] = field(default_factory=dict)
    """build id -> {kind, project, status, age_hours, selected}"""

    def selected(self) -> set[str]:
        """Ids a ``--since 3d`` scan with the default statuses selects."""
        return {i for i, info in self.ids.items() if info["selected"]}

    def of_kind(self, name: str, *, selected: bool = True) -> list[str]:
        """Ids of one kind (selected ones by default)."""
        return sorted(i for i, info in self.ids.items() if info["kind"].name == name and info["selected"] == selected)


def _kinds() -> list[Kind]:
    samples = {s.name: s for s in load_samples()}
    docker, ssm, pull, tests = (samples[n] for n in sorted(samples))
    bland = {"buildStatus": "FAILED", "phases": _FAILED_BUILD_PHASES}
    return [
        Kind("docker", docker.record, docker.log_lines, "docker-hub-rate-limit"),
        Kind("ssm", ssm.record, ssm.log_lines, "ssm-parameter-access-denied"),
        Kind("pull-no-log", pull.record, None, "docker-hub-rate-limit"),
        Kind("tests", tests.record, tests.log_lines, "jest-failures"),
        Kind("unknown", bland, ["[Container] 2026/11/27 11:02:42.243871 Entering phase BUILD\n", "all good?\n"], "unknown"),
        Kind("no-log", {"buildStatus": "FAILED", "phases": _PROVISIONING_FAILED}, None, None, "no log stream"),
        Kind("expired", bland, ["never stored\n"], None, "not found in log group", stream_exists=False),
        Kind("denied", bland, ["plain output\n"], None, "access denied"),
    ]


STATUS_CYCLE = ("FAILED", "FAULT", "TIMED_OUT", "FAILED", "STOPPED", "SUCCEEDED", "FAILED")
SELECTED_STATUSES = ("FAILED", "FAULT", "TIMED_OUT")


@pytest.fixture(scope="session")
def seeded() -> Iterator[SeededScan]:
    """220 builds: 4 projects x 55; statuses cycle; every 5th build is 4-10 days old (outside --since 3d)."""
    mp = pytest.MonkeyPatch()
    for key, value in FAKE_CREDENTIALS.items():
        mp.setenv(key, value)
    kinds = _kinds()
    now = time.time()
    with moto_server() as endpoint:
        result = SeededScan(endpoint)
        specs = []
        infos = []
        n = 0
        for project in PROJECTS:
            for i in range(55):
                kind = kinds[n % len(kinds)]
                status = STATUS_CYCLE[n % len(STATUS_CYCLE)]
                old = i % 5 == 4
                age_hours = 96 + (i % 7) * 20 if old else 1 + (n % 60)
                record = copy.deepcopy(kind.record)
                record.update(projectName=project, buildStatus=status)
                specs.append(
                    {"record": record, "log_lines": kind.log_lines, "start_time": now - age_hours * 3600 - (n % 50),
                     "stream_exists": kind.stream_exists}
                )  # fmt: skip
                infos.append(
                    {"kind": kind, "project": project, "status": status, "age_hours": age_hours,
                     "selected": (not old) and status in SELECTED_STATUSES}
                )  # fmt: skip
                n += 1
        ids = seed_builds_in_process(specs, region=REGION)
        result.ids = dict(zip(ids, infos, strict=True))
        yield result
    mp.undo()


def api_params(params: dict[str, Any]) -> dict[str, Any]:
    """The API parameters of a JSON-protocol call from a ``before-call`` handler's ``params`` (the request dict)."""
    import json

    body = params.get("body") or b"{}"
    return dict(json.loads(body.decode() if isinstance(body, bytes) else body))


def error_response(code: str) -> Any:
    """What a ``before-call`` handler returns to short-circuit a call with the error ``code``."""
    from botocore.awsrequest import AWSResponse

    response = AWSResponse("https://aws.invalid", 400, {}, None)
    return response, {"Error": {"Code": code, "Message": f"{code} for test"}, "ResponseMetadata": {}}


def deny_streams(client: Any, streams: set[str], code: str = "AccessDeniedException") -> None:
    """Make ``client`` (a logs client) answer ``code`` for GetLogEvents on these log streams, before any HTTP."""

    def handler(params: dict[str, Any], **_: Any) -> Any:
        if api_params(params).get("logStreamName") in streams:
            return error_response(code)
        return None

    client.meta.events.register("before-call.cloudwatch-logs.GetLogEvents", handler)


class CallLog:
    """Every AWS operation the clients make, by name (a botocore ``before-call`` hook)."""

    def __init__(self, *clients: Any) -> None:
        self.calls: list[str] = []
        for client in clients:
            client.meta.events.register("before-call", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def count(self, name: str) -> int:
        """How many times ``name`` was called."""
        return self.calls.count(name)
