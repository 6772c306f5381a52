"""Mask secrets in everything a report shows that came from a log or a build record.

Reports are shared across teams, and build logs leak credentials: an
``Authorization`` header echoed by ``curl -v``, a token in a clone URL, an
access key in a stack trace. Every renderer receives a diagnosis that went
through :func:`redact_diagnosis` unless the user passed ``--no-redact``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import regex

from analyzer.models import (
    Build,
    ContextLine,
    Diagnosis,
    Evidence,
    Finding,
    PhaseContext,
    ScanReport,
    SkippedBuild,
)

MASK = "[REDACTED]"

# Each pattern masks the whole match, or only the group named ``secret`` when there is one.
_PATTERNS = [
    # PEM private key blocks (also when a log shows only the first line of one).
    r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----(?:[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE KEY-----|[^\n]*)",
    # AWS access key ids (long-term AKIA, temporary ASIA, and other principal prefixes).
    r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|ANPA|ANVA|AGPA)[A-Z0-9]{16}\b",
    # AWS secret keys and session tokens given as key=value / key: value / JSON.
    r"(?i)\b(?:aws_?)?(?:secret_?access_?key|session_?token|security_?token)[\"']?\s*[:=]\s*[\"']?(?P<secret>[A-Za-z0-9/+=]{16,})",
    # ... and as arguments: `aws configure set aws_secret_access_key wJalr...`.
    r"(?i)\baws_(?:secret_access_key|session_token)\s+(?P<secret>[A-Za-z0-9/+=]{16,})",
    # Authorization headers: Bearer, Basic, token, AWS4-HMAC-SHA256 signatures...
    r"(?i)\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?P<secret>(?:[A-Za-z0-9-]+ )?[^\s\"',]+(?:[^\n\"']*)?)",
    # user:password@host in URLs.
    r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]+:(?P<secret>[^\s@/]+)@",
    # GitHub tokens (classic and fine-grained), GitLab, npm, PyPI, Docker Hub, Slack.
    r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
    r"\bglpat-[A-Za-z0-9_-]{20,}\b",
    r"\bnpm_[A-Za-z0-9]{36}\b",
    r"\bpypi-[A-Za-z0-9_-]{50,}\b",
    r"\bdckr_pat_[A-Za-z0-9_-]{20,}\b",
    r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b",
    # A line that is only a PEM body line (base64, 60-76 characters, mixed case and digits): the
    # rest of a private key whose BEGIN line is outside the excerpt.
    r"^\s*(?=[A-Za-z0-9+/]*[a-z])(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*\d)[A-Za-z0-9+/]{60,76}={0,2}\s*$",
    # JSON Web Tokens.
    r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b",
    # password=..., token=... (an assignment is deliberate: any value of 6+ characters).
    r"(?i)(?:(?<![a-z0-9])pass(?:word|wd)?|(?<![a-z0-9])secret|(?<![a-z0-9])token|(?<![a-z0-9])api[_-]?key)[\"']?\s*=\s*[\"']?(?P<secret>[^\s\"',;&]{6,})",
    # "password": "...", token: ... (prose uses colons too: the value must look like a secret,
    # with a digit or symbol in it, or be 20+ characters long).
    r"(?i)(?:(?<![a-z0-9])pass(?:word|wd)?|(?<![a-z0-9])secret|(?<![a-z0-9])token|(?<![a-z0-9])api[_-]?key)[\"']?\s*:\s*[\"']?(?P<secret>(?=[^\s\"',;&]*[\d_+/=!@#$%^*-])[^\s\"',;&]{6,}|[^\s\"',;&]{20,})",
    r"(?i)--password(?:=|\s+)(?!-)(?P<secret>[^\s\"']+)",
    r"(?i)\b(?:docker|podman|helm|oras)\s+(?:registry\s+)?login\b[^\n]*?\s-p(?:=|\s+)(?!-)(?P<secret>[^\s\"']+)",
]
_COMPILED = [regex.compile(p) for p in _PATTERNS]


def redact_text(text: str) -> str:
    """``text`` with every secret shape replaced by ``[REDACTED]``."""
    if not text:
        return text
    for pattern in _COMPILED:
        text = pattern.sub(_mask, text)
    return text


_KEY_BEGIN = regex.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")
_KEY_END = regex.compile(r"-----END (?:[A-Z]+ )*PRIVATE KEY-----")


def redact_lines(lines: list[str]) -> list[str]:
    """Consecutive log lines redacted, including every line inside a private key block.

    A PEM block spans lines, and each line is matched alone by :func:`redact_text`; this
    masks the lines between a ``BEGIN ... PRIVATE KEY`` line and its ``END`` line too.
    """
    out: list[str] = []
    inside = False
    for line in lines:
        if inside:
            if _KEY_END.search(line):
                inside = False
            out.append(MASK)
            continue
        redacted = redact_text(line)
        if _KEY_BEGIN.search(line) and not _KEY_END.search(line):
            inside = True
        out.append(redacted)
    return out


def _mask(match: regex.Match[str]) -> str:
    if "secret" in match.groupdict() and match.group("secret") is not None:
        start, end = match.span("secret")
        base = match.start()
        whole = match.group(0)
        return whole[: start - base] + MASK + whole[end - base :]
    return MASK


def _redact_evidence(evidence: Evidence) -> Evidence:
    lines = redact_lines([c.text for c in evidence.before] + [evidence.text] + [c.text for c in evidence.after])
    text = lines[len(evidence.before)]
    before = lines[: len(evidence.before)]
    after = lines[len(evidence.before) + 1 :]
    matched = redact_text(evidence.matched)
    start = evidence.match_start if text == evidence.text else (text.find(matched) if text != MASK else -1)
    if start < 0:  # the secret straddled the match: show the line without a highlight
        start, end = 0, 0
    else:
        end = start + len(matched)
    return dataclasses.replace(
        evidence,
        text=text,
        match_start=start,
        match_end=end,
        before=tuple(ContextLine(c.line_number, t) for c, t in zip(evidence.before, before)),
        after=tuple(ContextLine(c.line_number, t) for c, t in zip(evidence.after, after)),
    )


def _redact_map(values: Mapping[str, str]) -> dict[str, str]:
    return {key: redact_text(value) for key, value in values.items()}


def redact_finding(finding: Finding, build: Build | None = None) -> Finding:
    """A copy of ``finding`` with its evidence and captures redacted.

    The summary and remediation are the rule's own text with values put in: only those
    values (the captures, and the build record's fields) are redacted there. Redacting the
    whole text turned a rule's advice, such as ``DOCKERHUB_TOKEN: /CodeBuild/dockerhub/token``
    in a buildspec snippet, into ``[REDACTED]``.
    """
    values = list(finding.captures.values())
    if build is not None:
        values += [v for v in build.to_dict().values() if isinstance(v, str)]
    swaps = {value: redact_text(value) for value in values if value and redact_text(value) != value}
    return dataclasses.replace(
        finding,
        evidence=tuple(_redact_evidence(e) for e in finding.evidence),
        captures=_redact_map(finding.captures),
        summary=_swap(finding.summary, swaps),
        remediation=_swap(finding.remediation, swaps),
    )


def _swap(text: str, swaps: Mapping[str, str]) -> str:
    """Replace each secret-bearing value in ``text`` by its redacted form, longest first."""
    for value in sorted(swaps, key=len, reverse=True):
        text = text.replace(value, swaps[value])
    return text


def redact_diagnosis(diagnosis: Diagnosis) -> Diagnosis:
    """A copy of ``diagnosis`` safe to share: every log- or record-derived string redacted."""
    return dataclasses.replace(
        diagnosis,
        findings=tuple(redact_finding(f, diagnosis.build) for f in diagnosis.findings),
        notes=tuple(redact_text(n) for n in diagnosis.notes),
        build=redact_build(diagnosis.build) if diagnosis.build else None,
        tail=tuple(ContextLine(c.line_number, t) for c, t in zip(diagnosis.tail, redact_lines([c.text for c in diagnosis.tail]))),
    )


def redact_build(build: Build) -> Build:
    """A copy of a build record with its free-text fields redacted (source version, initiator, contexts)."""

    def optional(text: str | None) -> str | None:
        return redact_text(text) if text else text

    return dataclasses.replace(
        build,
        source_version=optional(build.source_version),
        resolved_source_version=optional(build.resolved_source_version),
        initiator=optional(build.initiator),
        phases=tuple(
            dataclasses.replace(
                phase,
                contexts=tuple(PhaseContext(c.status_code, redact_text(c.message)) for c in phase.contexts),
            )
            for phase in build.phases
        ),
    )


def redact_scan(report: ScanReport) -> ScanReport:
    """A copy of a scan report safe to share: every diagnosis and every skip reason redacted."""
    return dataclasses.replace(
        report,
        diagnoses=tuple(redact_diagnosis(d) for d in report.diagnoses),
        skipped=tuple(
            SkippedBuild(s.build_id, redact_text(s.reason), redact_build(s.build) if s.build else None)
            for s in report.skipped
        ),
    )
