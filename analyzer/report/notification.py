"""The notification of a diagnosed build (the organisation service's SNS message): subject,
Markdown body, and the chat-app form.

One ``Publish`` with ``MessageStructure=json`` serves every subscriber: e-mail and the
default get the Markdown text (summary, evidence line, fix, links); ``https`` subscribers,
which is how Amazon Q Developer in chat applications subscribes to a topic, get its
custom-notification JSON (``version``/``source``/``content.textType=client-markdown``,
https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).
SNS subjects must be ASCII, one line, under 100 characters
(https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
"""

from __future__ import annotations

import json
from analyzer.models import Diagnosis
from analyzer.report.markdown import fence_for

SUBJECT_CHARS = 99
CHAT_CHARS = 3_500
"""Chat messages are kept short: the full report is one link away."""
TEXT_CHARS = 12_000


def subject(project: str, diagnosis: Diagnosis) -> str:
    """``<project>: <root cause title>``, ASCII, one line, at most 99 characters."""
    root = diagnosis.root_cause
    text = f"{project}: {root.title if root else 'failed, no known cause matched'}"
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return text if len(text) <= SUBJECT_CHARS else text[: SUBJECT_CHARS - 3] + "..."


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def body(diagnosis: Diagnosis, *, account: str, region: str, diagnosis_url: str | None = None) -> str:
    """The Markdown message: what failed, root cause summary, first evidence line, the fix, links."""
    build = diagnosis.build
    root = diagnosis.root_cause
    facts = []
    if build is not None:
        facts.append(f"Build {build.build_id} {build.status or ''}".rstrip())
        if build.failed_phase:
            facts.append(f"in {build.failed_phase.phase_type}")
        if build.duration_seconds is not None:
            facts.append(f"{build.duration_seconds / 60:.1f} build minutes")
    facts.append(f"account {account}, {region}")
    out = [" · ".join(facts), ""]
    if root is None:
        out += ["No rule matched this failure."]
        if diagnosis.tail:
            last = diagnosis.tail[-1]
            rows = [f"{last.line_number} {_clip(last.text, 500)}"]
            fence = fence_for(rows)
            out += ["", "**Last error-looking line**", "", f"{fence}text", *rows, fence]
    else:
        where = f" in {root.phase}" if root.phase else ""
        out += [f"**Root cause** ({root.severity.label}, rule {root.rule_id}{where}): {_clip(root.summary.strip(), 1500)}"]
        evidence = next(iter(root.evidence), None)
        if evidence is not None:
            label = f"line {evidence.line_number}" if evidence.line_number is not None else "build record"
            rows = [_clip(evidence.text, 500)]
            fence = fence_for(rows)
            out += ["", f"**Evidence** ({label})", "", f"{fence}text", *rows, fence]
        out += ["", "**How to fix it**", "", _clip(root.remediation.strip(), 6000)]
    links = []
    if build is not None and build.console_url:
        links.append(f"[build]({build.console_url})")
    if build is not None and build.logs.deep_link:
        links.append(f"[log]({build.logs.deep_link})")
    if diagnosis_url:
        links.append(f"[diagnosis]({diagnosis_url})")
    if root is not None:
        links += [f"[{r.title}]({r.url})" for r in root.references[:5]]
    if links:
        out += ["", "**Links**: " + " · ".join(links)]
    return _clip("\n".join(out).rstrip() + "\n", TEXT_CHARS)


def messages(title: str, text: str) -> dict[str, str]:
    """The per-protocol messages of one ``Publish`` (``MessageStructure=json``)."""
    chat = {
        "version": "1.0",
        "source": "custom",
        "content": {"textType": "client-markdown", "title": title, "description": _clip(text, CHAT_CHARS)},
    }
    return {"default": text, "email": text, "https": json.dumps(chat)}
