"""1,000 queued failures of 20 accounts: none lost, none diagnosed twice, each account's GetLogEvents rate held.

The queue is moto's SQS over HTTP; two handler instances (the event source's
``MaximumConcurrency`` of 2) take turns receiving batches of 10, as Lambda's pollers would,
and delete what the handler did not return. EventBridge's at-least-once delivery is played
by queuing 100 of the events twice. A message the handler returns stays invisible for the
queue's 30 s visibility timeout, so the test asserts that none is returned.

The rate is measured where AWS would count it: moto's ``GetLogEvents`` handler records the
caller's account and the time of each request. The time is a fake clock that only the
handlers' rate limiters advance (they wait by sleeping on it), so the run takes seconds of
real time while the limit binds hard: without the limiters every request would fall in
the same instant.
"""

from __future__ import annotations

import collections
import json
import threading

import pytest
from moto.logs.responses import LogsResponse
from orghelp import central_account, service, sqs_event

from analyzer.demo import REGION, seed_builds_in_process
from analyzer.rules import load_rules
from analyzer.service.events import state_change_event

pytestmark = [pytest.mark.aws, pytest.mark.slow]

ACCOUNTS = [f"{300000000000 + i * 1111:012d}" for i in range(20)]
BUILDS_PER_ACCOUNT = 50
LIMIT = 10.0
"""GetLogEvents per second per account for the fleet (CloudWatch Logs' quota)."""
INSTANCES = 2
WAVE = 100


class FakeClock:
    """Time that passes only when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += max(0.0, seconds)


def _max_in_any_second(times: list[float]) -> int:
    """The most requests in any half-open window [t, t + 1 s) (t at each request)."""
    times = sorted(times)
    best, end = 0, 0
    for start, t in enumerate(times):
        while end < len(times) and times[end] < t + 1.0 - 1e-9:
            end += 1
        best = max(best, end - start)
    return best


def test_a_thousand_queued_failures_of_twenty_accounts(moto_endpoint: str, aws_env, monkeypatch) -> None:
    central = central_account(moto_endpoint)
    sqs = central.client("sqs")
    lines = ["[Container] 2026/12/01 10:00:00.000001 Running command make test\n",
             "make: *** [Makefile:12: test] Error 2\n"]  # fmt: skip
    arns = []
    for account in ACCOUNTS:
        builds = [{"record": {"projectName": f"svc-{i % 5}", "buildStatus": "FAILED"}, "log_lines": lines}
                  for i in range(BUILDS_PER_ACCOUNT)]  # fmt: skip
        arns += [f"arn:aws:codebuild:{REGION}:{account}:build/{b}" for b in seed_builds_in_process(builds, account=account)]
    bodies = [json.dumps(state_change_event(arn, "FAILED")) for arn in arns]
    bodies += bodies[5::10]  # delivered twice: 100 events again, in a later wave or the same one
    clock = FakeClock()
    requests: dict[str, list[float]] = collections.defaultdict(list)
    real = LogsResponse.get_log_events

    def counted(self: LogsResponse) -> str:
        requests[self.current_account].append(clock.now)
        return real(self)

    monkeypatch.setattr(LogsResponse, "get_log_events", counted)
    rules = load_rules().rules
    instances = [service(central, rules, topic_arn=None, clock=clock.monotonic, sleep=clock.sleep,
                         logs_rps=LIMIT, max_concurrency=INSTANCES) for _ in range(INSTANCES)]  # fmt: skip
    returned, turn = 0, 0
    # The events arrive in waves of 100 (moto's ReceiveMessage slows with the queue's length,
    # about 1 ms per queued message); each wave is drained before the next.
    for wave in range(0, len(bodies), WAVE):
        for start in range(wave, min(wave + WAVE, len(bodies)), 10):
            sqs.send_message_batch(QueueUrl=central.queue_url, Entries=[
                {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])])  # fmt: skip
        while True:
            messages = sqs.receive_message(QueueUrl=central.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            response = instances[turn % INSTANCES].handle(sqs_event(messages))
            turn += 1
            failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
            returned += len(failed)
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                sqs.delete_message_batch(QueueUrl=central.queue_url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])  # fmt: skip

    outcomes = collections.Counter(o.result for i in instances for o in i.outcomes)
    assert returned == 0
    assert outcomes == {"stored": len(arns), "duplicate": len(bodies) - len(arns)}
    rows = central.rows()
    assert sorted(r["build_arn"] for r in rows) == sorted(arns)  # every build once: none lost, none twice
    assert {r["state"] for r in rows} == {"done"}
    keys = [o["Key"] for page in central.client("s3").get_paginator("list_objects_v2").paginate(Bucket="org-diagnoses")
            for o in page.get("Contents", [])]  # fmt: skip
    assert len(keys) == 2 * len(arns)  # a diagnosis and a log per build

    assert sorted(requests) == sorted(ACCOUNTS)
    assert all(len(times) == 2 * BUILDS_PER_ACCOUNT for times in requests.values())  # a page, then the end
    busiest = {account: _max_in_any_second(times) for account, times in requests.items()}
    assert max(busiest.values()) <= LIMIT, busiest
    # The limit bound: each account's requests at no more than LIMIT a second take this long.
    assert clock.now >= (2 * BUILDS_PER_ACCOUNT - 1) / LIMIT
