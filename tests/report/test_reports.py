"""Renderers: the JSON report matches its published schema; every format renders."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from analyzer.engine import diagnose
from analyzer.models import Build
from analyzer.report import Format, render_diagnosis
from analyzer.report.json import SCHEMA_VERSION
from analyzer.rules import load_rules
from tests.helpers import REPO

SAMPLES = sorted((REPO / "fixtures" / "builds").iterdir())


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(resources.files("analyzer.report").joinpath("diagnosis.schema.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def rules():  # type: ignore[no-untyped-def]
    return load_rules().rules


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_json_report_validates_against_the_schema(sample, schema, rules) -> None:  # type: ignore[no-untyped-def]
    record = json.loads((sample / "build.json").read_text())
    record.setdefault("id", f"{record['projectName']}:00000000-0000-0000-0000-000000000000")
    log = sample / "log.txt"
    result = diagnose(rules, [log.read_bytes()] if log.exists() else None, Build.from_api(record))
    data = json.loads(render_diagnosis(result, Format.JSON))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["findings"], "every sample build has a diagnosis"
    assert data["root_cause"] == data["findings"][0]["rule_id"]


def test_schema_rejects_a_report_missing_a_field(schema) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(jsonschema.ValidationError, match="'findings' is a required property"):
        jsonschema.validate({"schema_version": "1.0", "tool": {"name": "codebuild-doctor", "version": "0"},
                             "build": None, "log": None, "root_cause": None, "notes": [], "problems": []}, schema)  # fmt: skip


@pytest.mark.parametrize("output_format", list(Format))
def test_every_format_renders(output_format: Format, rules) -> None:  # type: ignore[no-untyped-def]
    result = diagnose(rules, [(SAMPLES[0] / "log.txt").read_bytes()])
    text = render_diagnosis(result, output_format)
    assert "docker-hub-rate-limit" in text


@pytest.mark.parametrize("output_format", list(Format))
def test_every_format_is_one_renderer_class_with_both_methods(output_format: Format, rules, scan_report) -> None:  # type: ignore[no-untyped-def]
    from analyzer.report import Renderer
    from analyzer.report.view import diagnosis_view, scan_view

    renderer = output_format.renderer()
    assert isinstance(renderer, Renderer)
    assert type(renderer).__module__ == f"analyzer.report.{output_format.value}"
    result = diagnose(rules, [(SAMPLES[0] / "log.txt").read_bytes()])
    assert "docker-hub-rate-limit" in renderer.render_diagnosis(diagnosis_view(result))
    assert "storefront-api" in renderer.render_scan(scan_view(scan_report))


def test_present_masks_secrets_unless_told_not_to(rules) -> None:  # type: ignore[no-untyped-def]
    from analyzer.report import present
    from tests.report.secrets import SECRET_LOG, SECRETS

    from analyzer.engine import EngineOptions, MatchOptions

    # The engine's own redaction off (as --no-redact does), so present() is what is tested.
    result = diagnose(rules, [SECRET_LOG.encode()], options=EngineOptions(match=MatchOptions(redact=False)))
    secret = SECRETS["aws secret key"]
    for output_format in Format:
        assert secret not in present(result, output_format), output_format
    assert secret in present(result, Format.JSON, redact=False)


def test_no_module_outside_report_imports_a_renderer() -> None:
    import re

    pattern = re.compile(r"analyzer\.report\.(text|json|markdown|html|view|interface)\b|import (render_text|render_html)")
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "analyzer").rglob("*.py")
        if "report" not in path.parts and pattern.search(path.read_text("utf-8"))
    ]
    assert offenders == []


def test_the_window_label_counts_the_window_not_calendar_days() -> None:
    from datetime import datetime, timedelta, timezone

    from analyzer.report.view import window_label

    now = datetime(2026, 12, 4, 23, 22, tzinfo=timezone.utc)  # a 7-day window touches 8 dates
    assert window_label(now - timedelta(days=7), now) == "7 days"
    assert window_label(now - timedelta(hours=24), now) == "24 hours"
    assert window_label(now - timedelta(minutes=90), now) == "90 minutes"
    assert window_label(now - timedelta(days=2, hours=12), now) == "2.5 days"
    assert window_label(now - timedelta(minutes=1), now) == "1 minute"
    assert window_label(None, now) is None and window_label(now, now) is None



def test_the_scan_schema_validates_offline_through_its_relative_ref(scan_report, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import socket

    import jsonschema

    from analyzer.report import render_scan
    from analyzer.report.json import schema_validator

    def no_network(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the schema tried to fetch something")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    data = json.loads(render_scan(scan_report, Format.JSON))
    validator = schema_validator("scan.schema.json")
    validator.validate(data)
    explained = next(b for b in data["builds"] if b["findings"])
    explained["findings"][0]["severity"] = "catastrophic"  # checked by the diagnosis schema, via the $ref
    with pytest.raises(jsonschema.ValidationError, match="'catastrophic' is not one of"):
        validator.validate(data)
    scan_schema = json.loads(resources.files("analyzer.report").joinpath("scan.schema.json").read_text("utf-8"))
    assert scan_schema["properties"]["builds"]["items"] == {"$ref": "diagnosis-1.json"}


def test_the_build_records_timeout_is_in_the_json_report(schema, rules) -> None:  # type: ignore[no-untyped-def]
    """``timeoutInMinutes`` is read into ``Build.timeout_minutes`` (the build-timed-out finding
    names it); the JSON report's ``build`` carried every other field but not this one."""
    from analyzer.sources.stored import _build

    build = Build.from_api({"id": "api:1", "buildStatus": "TIMED_OUT", "timeoutInMinutes": 45})
    assert build.to_dict()["timeout_minutes"] == 45
    assert Build.from_api({"id": "api:2"}).to_dict()["timeout_minutes"] is None
    data = json.loads(render_diagnosis(diagnose(rules, [b"x\n"], build=build), Format.JSON))
    jsonschema.validate(data, schema)
    assert data["build"]["timeout_minutes"] == 45
    assert _build(data["build"]).timeout_minutes == 45  # and `scan --from` reads it back


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"type": "LINUX_LAMBDA_CONTAINER", "computeType": "BUILD_LAMBDA_2GB"}, True),
        ({"type": "ARM_LAMBDA_CONTAINER"}, True),  # the type alone says Lambda
        ({"computeType": "BUILD_LAMBDA_10GB"}, True),  # and so does the compute type alone
        ({"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL"}, False),
        ({"type": "ARM_EC2", "computeType": "CUSTOM_INSTANCE_TYPE"}, False),
        ({}, None),  # a record without an environment does not say
    ],
)
def test_lambda_compute_is_read_from_the_environment_type_or_compute_type(schema, rules, environment, expected) -> None:  # type: ignore[no-untyped-def]
    """``build.lambda_compute`` (templates, JSON report) from ``environment.type`` / ``computeType``;
    ``scan --from`` reads the environment type back."""
    from analyzer.sources.stored import _build

    build = Build.from_api({"id": "api:1", "buildStatus": "FAILED", "environment": environment})
    assert build.lambda_compute is expected
    data = json.loads(render_diagnosis(diagnose(rules, [b"x\n"], build=build), Format.JSON))
    jsonschema.validate(data, schema)
    assert (data["build"]["environment_type"], data["build"]["lambda_compute"]) == (environment.get("type"), expected)
    assert _build(data["build"]).lambda_compute is expected
