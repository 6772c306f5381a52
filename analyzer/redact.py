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

from analyzer.models import ContextLine, Diagnosis, Evidence, Finding

MASK = "[REDACTED]"

# Each pattern masks the whole match, or only the group named ``secret`` when there is one.
_PATTERNS = [
    # PEM private key blocks (also when a log shows only the first line of one).
    r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----(?:[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE KEY-----|[^\n]*)",
    # AWS access key ids (long-term AKIA, temporary ASIA, and other principal prefixes).
    r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|ANPA|ANVA|AGPA)[A-Z0-9]{16}\b",
    # AWS secret keys and session tokens given as key=value / key: value / JSON.
    r"(?i)\b(?:aws_?)?(?:secret_?access_?key|session_?token|security_?token)[\"']?\s*[:=]\s*[\"']?(?P<secret>[A-Za-z0-9/+=]{16,})",
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
    # JSON Web Tokens.
    r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b",
    # password=..., token=... (an assignment is deliberate: any value of 6+ characters).
    r"(?i)(?:\bpass(?:word|wd)?|\bsecret|\btoken|\bapi[_-]?key)[\"']?\s*=\s*[\"']?(?P<secret>[^\s\"',;&]{6,})",
    # "password": "...", token: ... (prose uses colons too: the value must look like a secret,
    # with a digit or symbol in it, or be 20+ characters long).
    r"(?i)(?:\bpass(?:word|wd)?|\bsecret|\btoken|\bapi[_-]?key)[\"']?\s*:\s*[\"']?(?P<secret>(?=[^\s\"',;&]*[\d_+/=!@#$%^*-])[^\s\"',;&]{6,}|[^\s\"',;&]{20,})",
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


def _mask(match: regex.Match[str]) -> str:
    if "secret" in match.groupdict() and match.group("secret") is not None:
        start, end = match.span("secret")
        base = match.start()
        whole = match.group(0)
        return whole[: start - base] + MASK + whole[end - base :]
    return MASK


def _redact_evidence(evidence: Evidence) -> Evidence:
    text = redact_text(evidence.text)
    matched = redact_text(evidence.matched)
    start = text.find(matched) if text != evidence.text else evidence.match_start
    if start < 0:  # the secret straddled the match: show the line without a highlight
        start, end = 0, 0
    else:
        end = start + len(matched)
    return dataclasses.replace(
        evidence,
        text=text,
        match_start=start,
        match_end=end,
        before=tuple(ContextLine(c.line_number, redact_text(c.text)) for c in evidence.before),
        after=tuple(ContextLine(c.line_number, redact_text(c.text)) for c in evidence.after),
    )


def _redact_map(values: Mapping[str, str]) -> dict[str, str]:
    return {key: redact_text(value) for key, value in values.items()}


def redact_finding(finding: Finding) -> Finding:
    """A copy of ``finding`` with its evidence, captures, summary and remediation redacted."""
    return dataclasses.replace(
        finding,
        evidence=tuple(_redact_evidence(e) for e in finding.evidence),
        captures=_redact_map(finding.captures),
        summary=redact_text(finding.summary),
        remediation=redact_text(finding.remediation),
    )


def redact_diagnosis(diagnosis: Diagnosis) -> Diagnosis:
    """A copy of ``diagnosis`` safe to share: every log- or record-derived string redacted."""
    return dataclasses.replace(
        diagnosis,
        findings=tuple(redact_finding(f) for f in diagnosis.findings),
        notes=tuple(redact_text(n) for n in diagnosis.notes),
    )
