"""The organisation service end to end against moto over HTTP: member bus -> central queue -> handler.

moto routes the event from the member account's bus through the rules to the central SQS
queue; it does not run Lambda, so each test receives the queued messages and calls the
handler with the batch the event source mapping would pass.
"""

from __future__ import annotations

import gzip
import json
import os
import time

import pytest
from awshelp import BASELINE_FAILED_LOG, BASELINE_PASSED_LOG, failed_record, passed_record, recorded_api_calls, run_cli
from moto.core.exceptions import JsonRESTError
from moto.logs.responses import LogsResponse
from orghelp import BUCKET, ROLE_NAME, Context, central_account, member_forwarding_rule, member_session, record, service, sqs_event

from analyzer.demo import REGION, load_samples, seed_builds_in_process
from analyzer.rules import load_rules
from analyzer.service.events import state_change_event

pytestmark = pytest.mark.aws

MEMBER = "111111111111"
READS = {("sts", "AssumeRole"), ("codebuild", "BatchGetBuilds"), ("codebuild", "ListBuildsForProject"), ("logs", "GetLogEvents"),
         ("s3", "GetObject")}  # fmt: skip
OWN_WRITES = {("dynamodb", "PutItem"), ("dynamodb", "DeleteItem"), ("s3", "PutObject"), ("sns", "Publish")}


@pytest.fixture(scope="module")
def rules():
    """The shipped pack, loaded once for the module (a cold start loads it once too)."""
    return load_rules().rules


def _seed(sample_name: str, account: str = MEMBER) -> str:
    sample = next(s for s in load_samples() if s.name == sample_name)
    [build_id] = seed_builds_in_process([{"record": sample.record, "log_lines": sample.log_lines}], account=account)
    return f"arn:aws:codebuild:{REGION}:{account}:build/{build_id}"


def test_a_failed_build_in_a_member_account_is_diagnosed_stored_and_notified(
    moto_endpoint: str, aws_env, rules, monkeypatch: pytest.MonkeyPatch
) -> None:
    central = central_account(moto_endpoint)
    events = member_forwarding_rule(MEMBER, central.bus_arn)
    arn = _seed("01-docker-hub-rate-limit")
    build_id = arn.split(":build/", 1)[1]
    for status in ("FAILED", "SUCCEEDED"):  # the rules let only the failure through
        event = state_change_event(arn, status)
        entry = {"Source": event["source"], "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"]),
                 "Resources": [arn]}  # fmt: skip
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    messages = central.received()
    assert [json.loads(m["Body"])["detail"]["build-status"] for m in messages] == ["FAILED"]

    handler = service(central, rules)
    with recorded_api_calls() as calls:
        response = handler.handle(sqs_event(messages), Context(60))

    assert response == {"batchItemFailures": []}
    assert [o.result for o in handler.outcomes] == ["stored"]
    # Cross-account: the read-only role of the build's account, with the external id.
    assert handler.accounts.assumed == [f"arn:aws:iam::{MEMBER}:role/{ROLE_NAME}"]
    # Only reads in the member account, and the service's own writes in the central one.
    assert set(calls) == {("sts", "AssumeRole"), ("codebuild", "BatchGetBuilds"), ("logs", "GetLogEvents"),
                          ("dynamodb", "PutItem"), ("s3", "PutObject"), ("sns", "Publish")}  # fmt: skip
    assert set(calls) <= READS | OWN_WRITES

    objects = central.objects()
    started = json.loads(objects[next(k for k in objects if k.endswith(".json"))])["build"]["start_time"][:10]
    prefix = f"diagnoses/account={MEMBER}/region={REGION}/date={started}/{build_id}"
    assert sorted(objects) == [prefix + ".json", prefix + ".log.gz"]
    stored = json.loads(objects[prefix + ".json"])
    sample = next(s for s in load_samples() if s.name == "01-docker-hub-rate-limit")
    assert gzip.decompress(objects[prefix + ".log.gz"]).decode() == "".join(sample.log_lines)

    # Exactly what `diagnose --build-id` reports for the same build, run as the member account.
    member = member_session(MEMBER).get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", member.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", member.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", member.token)
    cli = run_cli("diagnose", "--build-id", arn, "--format", "json")
    assert cli.status == 1, cli.stderr
    assert stored == json.loads(cli.stdout)
    assert stored["root_cause"] == "docker-hub-rate-limit"

    [row] = central.rows()
    root = stored["findings"][0]
    assert {k: row[k] for k in ("build_arn", "build_id", "account", "region", "project", "status", "root_cause",
                                "severity", "state", "diagnosis_key", "log_key")} == {
        "build_arn": arn, "build_id": build_id, "account": MEMBER, "region": REGION,
        "project": "storefront-api", "status": "FAILED", "root_cause": "docker-hub-rate-limit",
        "severity": root["severity"], "state": "done", "diagnosis_key": prefix + ".json",
        "log_key": prefix + ".log.gz",
    }  # fmt: skip
    assert float(row["minutes_lost"]) == round(stored["build"]["duration_seconds"] / 60, 2)
    assert int(row["expires_at"]) - int(row["diagnosed_at"]) == 90 * 86_400

    [note] = central.received(central.notifications_url)
    envelope = json.loads(note["Body"])
    assert envelope["Subject"] == f"storefront-api: {root['title']}"[:99]
    text = envelope["Message"]
    assert f"Build {build_id} FAILED" in text
    assert f"**Root cause** ({root['severity']}, rule docker-hub-rate-limit" in text
    assert f"**Evidence** (line {root['evidence'][0]['line_number']})" in text
    assert root["evidence"][0]["text"] in text
    assert "**How to fix it**" in text and root["remediation"].strip()[:80] in text
    assert f"[diagnosis](https://s3.console.aws.amazon.com/s3/object/{BUCKET}?region={REGION}&prefix=" in text


def test_a_duplicate_event_writes_nothing(moto_endpoint: str, aws_env, rules) -> None:
    central = central_account(moto_endpoint)
    arn = _seed("04-unit-tests-failed")
    event = state_change_event(arn, "FAILED")
    handler = service(central, rules)
    assert handler.handle({"Records": [record(event, "m1")]}, Context(60)) == {"batchItemFailures": []}
    before_objects, before_rows = central.objects(), central.rows()
    central.received(central.notifications_url)

    with recorded_api_calls() as calls:
        # EventBridge delivered it again, twice in one batch and once in a later one.
        first = handler.handle({"Records": [record(event, "m2"), record(event, "m3")]}, Context(60))
        second = service(central, rules).handle({"Records": [record(event, "m4")]}, Context(60))

    assert first == second == {"batchItemFailures": []}
    assert [o.result for o in handler.outcomes] == ["stored", "duplicate", "duplicate"]
    assert calls == [("dynamodb", "PutItem")] * 3  # the conditional claim, refused each time
    assert central.objects() == before_objects
    assert central.rows() == before_rows
    assert central.received(central.notifications_url) == []


def test_a_malformed_message_fails_only_itself(moto_endpoint: str, aws_env, rules) -> None:
    central = central_account(moto_endpoint)
    arn = _seed("04-unit-tests-failed")
    good = state_change_event(arn, "FAILED")
    other_service = {**good, "source": "aws.codepipeline"}
    bad_arn = {**good, "detail": {**good["detail"], "build-id": "arn:aws:codebuild:us-east-1:1234:build/x"}}
    batch = [record("{not json", "junk"), record(good, "good"), record(other_service, "other"),
             record(bad_arn, "bad-arn"), record([1, 2], "array")]  # fmt: skip
    handler = service(central, rules)

    response = handler.handle({"Records": batch}, Context(60))

    assert response == {"batchItemFailures": [{"itemIdentifier": i} for i in ("junk", "other", "bad-arn", "array")]}
    assert {o.message_id: o.result for o in handler.outcomes}["good"] == "stored"
    details = {o.message_id: o.detail for o in handler.outcomes}
    assert details["junk"].startswith("message body is not JSON: ")
    assert details["other"] == (
        "not a CodeBuild state-change event: source 'aws.codepipeline', detail-type 'CodeBuild Build State "
        "Change' (expected 'aws.codebuild', 'CodeBuild Build State Change')"
    )
    assert details["bad-arn"] == (
        "invalid build ARN 'arn:aws:codebuild:us-east-1:1234:build/x': expected "
        "arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>"
    )
    assert details["array"] == "message body is a JSON list, expected an EventBridge event object"
    assert [r["build_arn"] for r in central.rows()] == [arn]


def test_stopped_builds_are_opt_in(moto_endpoint: str, aws_env, rules) -> None:
    central = central_account(moto_endpoint)
    arn = _seed("04-unit-tests-failed")
    stopped = state_change_event(arn, "STOPPED")
    handler = service(central, rules)
    assert handler.handle({"Records": [record(stopped, "s1")]}, Context(60)) == {"batchItemFailures": []}
    assert [o.result for o in handler.outcomes] == ["ignored"] and central.rows() == []

    opted_in = service(central, rules, statuses=("FAILED", "FAULT", "TIMED_OUT", "STOPPED"))
    opted_in.handle({"Records": [record(stopped, "s2")]}, Context(60))
    assert [o.result for o in opted_in.outcomes] == ["stored"]


_real_get_log_events = LogsResponse.get_log_events


def _throttle_first(count: int):
    calls = {"n": 0}

    def get_log_events(self: LogsResponse) -> str:
        calls["n"] += 1
        if calls["n"] <= count:
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        return _real_get_log_events(self)

    return get_log_events


def test_a_throttled_log_read_is_retried_within_the_time_budget(
    moto_endpoint: str, aws_env, rules, monkeypatch: pytest.MonkeyPatch
) -> None:
    central = central_account(moto_endpoint)
    arn = _seed("01-docker-hub-rate-limit")
    monkeypatch.setattr(LogsResponse, "get_log_events", _throttle_first(2))
    slept: list[float] = []
    handler = service(central, rules, sleep=slept.append, logs_rps=2000.0)

    response = handler.handle({"Records": [record(state_change_event(arn, "FAILED"), "t1")]}, Context(60))

    assert response == {"batchItemFailures": []}
    # Two throttled attempts (one HTTP call each), backed off 1 s then 2 s, then read; the
    # other waits are the rate limiter's (1 ms each at 1,000 GetLogEvents/s per instance).
    assert [s for s in slept if s > 0.01] == [1.0, 2.0]
    [row] = central.rows()
    assert row["root_cause"] == "docker-hub-rate-limit" and row["log_key"].endswith(".log.gz")


def test_throttled_past_the_time_budget_returns_the_message_and_loses_nothing(
    moto_endpoint: str, aws_env, rules, monkeypatch: pytest.MonkeyPatch
) -> None:
    central = central_account(moto_endpoint)
    arn = _seed("01-docker-hub-rate-limit")
    monkeypatch.setattr(LogsResponse, "get_log_events", _throttle_first(10**6))
    slept: list[float] = []
    handler = service(central, rules, sleep=slept.append, reserve_seconds=5.0)
    event = {"Records": [record(state_change_event(arn, "FAILED"), "t1")]}

    assert handler.handle(event, Context(5.5)) == {"batchItemFailures": [{"itemIdentifier": "t1"}]}
    [outcome] = handler.outcomes
    assert outcome.detail == (
        "still throttled, no time left in this invocation: AWS kept throttling logs:GetLogEvents for log stream "
        f"/aws/codebuild/storefront-api/{arn.rsplit(':', 1)[1]} after retries: Rate exceeded"
    )
    assert slept == [] and central.rows() == [] and central.objects() == {}  # the claim was given back

    monkeypatch.setattr(LogsResponse, "get_log_events", _real_get_log_events)
    assert handler.handle(event, Context(60)) == {"batchItemFailures": []}  # SQS delivers it again
    assert [r["state"] for r in central.rows()] == ["done"]


def test_a_denied_log_read_is_diagnosed_from_the_record_as_the_cli_does(
    moto_endpoint: str, aws_env, rules, monkeypatch: pytest.MonkeyPatch
) -> None:
    central = central_account(moto_endpoint)
    arn = _seed("02-ssm-parameter-denied")

    def denied(self: LogsResponse) -> str:
        raise JsonRESTError("AccessDeniedException", "User is not authorized to perform: logs:GetLogEvents")

    monkeypatch.setattr(LogsResponse, "get_log_events", denied)
    handler = service(central, rules)

    assert handler.handle({"Records": [record(state_change_event(arn, "FAILED"), "d1")]}, Context(60)) == {
        "batchItemFailures": []
    }
    objects = central.objects()
    assert [k.rsplit("/", 1)[1] for k in objects] == [arn.split(":build/", 1)[1] + ".json"]  # no log to keep
    stored = json.loads(next(iter(objects.values())))
    assert stored["log"] is None
    stream = f"/aws/codebuild/payments-worker/{arn.rsplit(':', 1)[1]}"
    assert stored["notes"] == [
        f"log not read: access denied reading log stream {stream}: User is not authorized to perform: logs:GetLogEvents"
    ]
    assert stored["root_cause"] is not None  # the record's phase context still explains the failure
    assert os.environ["AWS_ENDPOINT_URL"] == moto_endpoint


@pytest.mark.parametrize("baseline", [True, False])
def test_a_failure_no_rule_names_is_read_against_the_projects_last_success_as_the_cli_does(
    moto_endpoint: str, aws_env, rules, monkeypatch: pytest.MonkeyPatch, baseline: bool
) -> None:
    """The stored diagnosis is ``diagnose --build-id``'s: with the baseline on (the default), the
    line the project's last successful build printed too is not taken for the error."""
    central = central_account(moto_endpoint)
    failed = failed_record(
        "web", "BUILD", "COMMAND_EXECUTION_ERROR", "Error while executing command: ./build.sh. Reason: exit status 1"
    )
    now = time.time()
    [_, failed_id] = seed_builds_in_process(
        [{"record": passed_record("web"), "log_lines": BASELINE_PASSED_LOG, "start_time": now - 3600},
         {"record": failed, "log_lines": BASELINE_FAILED_LOG, "start_time": now - 600}],
        account=MEMBER,
    )  # fmt: skip
    arn = f"arn:aws:codebuild:{REGION}:{MEMBER}:build/{failed_id}"
    handler = service(central, rules, baseline=baseline)
    with recorded_api_calls() as calls:
        event = {"Records": [record(state_change_event(arn, "FAILED"), "b1")]}
        assert handler.handle(event, Context(60)) == {"batchItemFailures": []}
    assert (("codebuild", "ListBuildsForProject") in calls) is baseline
    assert set(calls) <= READS | OWN_WRITES
    stored = json.loads(next(v for k, v in central.objects().items() if k.endswith(".json")))
    top = stored["findings"][0]
    assert top["rule_id"] == "unrecognised-failure"
    # line 5 is the error; line 3 is an 'error' the passing build printed too
    assert [e["line_number"] for e in top["evidence"]] == ([5] if baseline else [3])

    member = member_session(MEMBER).get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", member.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", member.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", member.token)
    cli = run_cli("diagnose", "--build-id", arn, "--format", "json", *([] if baseline else ["--no-baseline"]))
    assert cli.status == 1, cli.stderr
    assert stored == json.loads(cli.stdout)
