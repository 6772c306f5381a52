"""``rules draft``: a tested rule from a recurring unknown failure (a scan's cluster) or one log line.

The draft is a rule file and its fixture cases, checked before anything is written:

- the **pattern** is the cluster's template (:mod:`analyzer.clusters`) made a regular
  expression: a constant token is matched literally, each ``<*>`` becomes a named capture whose
  class and fixed ends come from the values the builds printed there (``'be80c46d1fb6'`` and
  ``'002d3167d53e'`` give ``'(?P<id>[0-9a-f]+)'``); tokens are joined by ``\\s+``;
- ``severity`` is ``critical`` when it failed before the buildspec's commands ran (provisioning,
  source download), else ``error``; ``priority`` 70 ranks it above the generic rules;
  ``match.phases`` are the phases it occurred in;
- the title is the cluster's name and the summary names every capture, both marked ``EDIT``;
- the **positive** cases are the sample's error block with its context and one line of each
  build; the **negative** case is the log of a build of the same project that succeeded, when the
  scan selected one and the cache holds its log, else the sample's lines before the block, else
  another cluster's sample (a near miss);
- ``expected.json`` holds what the pack (with the draft) gives on each case, so
  ``rules test`` passes at once; the draft must also be clean under ``rules lint --strict``.
  Either failing is an error and nothing is written.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.clusters import WILDCARD, fingerprint, tokens
from analyzer.errors import ConfigError

BEFORE_COMMANDS = frozenset({"SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE"})
"""Phases before the buildspec's commands run: a failure there is ``critical``."""

PRIORITY = 70
"""Above the generic rules (``command-execution-error`` and other wrappers), below most specific ones."""

CONTEXT = 3
"""Lines of context around a log line taken with ``--from-log``."""

NEGATIVE_LINES = 200
"""Lines of a successful build's log kept as the negative case (its last ones)."""


@dataclass(frozen=True)
class DraftSource:
    """What a draft is made from."""

    template: str
    """The template of the fingerprint lines (``<*>`` for what varies)."""
    lines: tuple[str, ...]
    """The builds' fingerprint lines as the log has them."""
    sample: tuple[str, ...]
    """The sample's error block with its context: the first positive case."""
    negative: tuple[str, ...]
    """Lines on which the rule must not fire."""
    negative_from: str
    """Where :attr:`negative` comes from, for the rule's comment."""
    phases: tuple[str, ...] = ()
    origin: str = ""
    """Where the draft comes from (``scan.json, cluster 2: 12 builds of billing, search``)."""
    name: str = ""
    """The cluster's name: the title to edit."""


@dataclass(frozen=True)
class Draft:
    """A drafted rule: its YAML and its fixture files (name -> content)."""

    rule_id: str
    yaml: str
    cases: Mapping[str, str] = field(default_factory=dict)


# -- the pattern ------------------------------------------------------------------------------


def _common_prefix(values: Sequence[str]) -> str:
    return os.path.commonprefix(list(values))


def _common_suffix(values: Sequence[str]) -> str:
    return _common_prefix([v[::-1] for v in values])[::-1]


def _split(values: Sequence[str]) -> tuple[str, str]:
    """The fixed ends of a variable token's values: punctuation they all share (``'``, ``(``, ``.yaml":``).

    With one value, the ends are what :func:`~analyzer.engine.locator.shape` leaves unmasked.
    """
    from analyzer.engine.locator import shape

    if len(set(values)) == 1:
        shaped = shape(values[0])
        if "#" not in shaped:
            return "", ""
        prefix, suffix = shaped.split("#", 1)[0], shaped.rsplit("#", 1)[1]
        values = [values[0]]
        if not (values[0].startswith(prefix) and values[0].endswith(suffix)):
            return "", ""
    else:
        prefix, suffix = _common_prefix(values), _common_suffix(values)
    # Only punctuation: a shared first letter ('app_args', 'apple') is part of the value.
    prefix = prefix[: max((i + 1 for i, ch in enumerate(prefix) if not ch.isalnum() and ch != "_"), default=0)]
    cut = next((i for i, ch in enumerate(suffix) if not ch.isalnum() and ch != "_"), len(suffix))
    suffix = suffix[cut:]
    shortest = min(len(v) for v in values)
    if len(prefix) + len(suffix) >= shortest:
        return "", ""
    return prefix, suffix


_STOP_WORDS = frozenset({"for", "the", "and", "with", "from", "into", "not", "was", "are", "has", "but", "its"})
"""Words before a value that would make a poor capture name."""


def _capture_name(middles: Sequence[str], previous: str, taken: set[str]) -> str:
    if all(m.isdigit() for m in middles):
        base = "number"
    elif all(re.fullmatch(r"[0-9a-f]{7,}", m) for m in middles):
        base = "id"
    elif any("/" in m for m in middles):
        base = "path"
    else:
        word = re.sub(r"[^a-z0-9_]", "", previous.lower())
        base = word if len(word) >= 3 and word[0].isalpha() and word not in _STOP_WORDS else "value"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _class(middles: Sequence[str], suffix: str) -> str:
    if all(m.isdigit() for m in middles):
        return r"\d+"
    if all(re.fullmatch(r"[0-9a-f]{7,}", m) for m in middles):
        return "[0-9a-f]+"
    return r"\S+?" if suffix else r"\S+"


def pattern_for(template: str, lines: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """The regular expression of a template over the lines it stands for, and its capture names.

    Raises :class:`ConfigError` when the lines do not fit the template or nothing is constant.
    """
    slots = template.split()
    columns = [tokens(line) for line in lines]
    columns = [c for c in columns if len(c) == len(slots)]
    if not slots or not columns:
        raise ConfigError(f"no line fits the template {template!r}: nothing to draft a pattern from")
    if all(slot == WILDCARD for slot in slots):
        raise ConfigError(f"the template {template!r} has no constant word: a rule would match any line")
    parts: list[str] = []
    names: list[str] = []
    taken: set[str] = set()
    for i, slot in enumerate(slots):
        values = [c[i] for c in columns]
        if slot != WILDCARD and len(set(values)) == 1 and "[REDACTED" not in values[0]:
            parts.append(re.escape(values[0]))
            continue
        prefix, suffix = _split(values)
        middles = [v[len(prefix) : len(v) - len(suffix)] for v in values]
        name = _capture_name(middles, slots[i - 1] if i else "", taken)
        names.append(name)
        parts.append(f"{re.escape(prefix)}(?P<{name}>{_class(middles, suffix)}){re.escape(suffix)}")
    return r"^\s*" + r"\s+".join(parts), tuple(names)


# -- the rule file ----------------------------------------------------------------------------


def _quoted(text: str) -> str:
    """A YAML single-quoted scalar (no escapes: a regex's backslashes stay as they are)."""
    return "'" + text.replace("'", "''") + "'"


def severity_for(phases: Iterable[str]) -> str:
    """``critical`` when every phase is before the commands ran, else ``error``."""
    phases = list(phases)
    return "critical" if phases and all(p in BEFORE_COMMANDS for p in phases) else "error"


def render_rule(rule_id: str, source: DraftSource, pattern: str, names: Sequence[str]) -> str:
    """The rule file's text, with comments saying what to edit."""
    title = " ".join(source.name.split())[:100] or rule_id
    if len(title) < 3:
        title = f"Draft rule {rule_id}"
    seen = ", ".join(f"{name} `{{{{ {name} }}}}`" for name in names)
    summary = "EDIT: say what failed and why, in one paragraph." + (f" Seen: {seen}." if seen else "")
    out = [
        f"# Drafted by 'codebuild-doctor rules draft' from {source.origin}.",
        "# Edit what is marked EDIT (title, summary, remediation), check the pattern, then run:",
        "#   codebuild-doctor rules test --rules-dir <this directory>   and   rules lint --strict",
        f"id: {rule_id}",
        f"title: {_quoted('EDIT: ' + title)}",
        f"severity: {severity_for(source.phases)}  # critical when it failed before the buildspec's commands ran, else error",
        "category: team  # EDIT: an area (docker, iam, python, ...) groups it in the catalogue",
        "tags: [draft]",
        f"priority: {PRIORITY}  # 0-100: above the generic wrappers (command-execution-error), below specific rules",
        f"description: {_quoted('EDIT: what the failure means, for the rule catalogue.')}",
        "match:",
        "  # From the template " + source.template.replace("\n", " ")[:200],
        "  # Constant words are matched as they are; each <*> is a named capture. Widen or narrow it here.",
        "  any:",
        f"    - {_quoted(pattern)}",
    ]
    if source.phases:
        out.append(f"  phases: [{', '.join(source.phases)}]  # where it occurred; remove to match in any phase")
    out += [
        "summary: >",
        f"  {summary}",
        "remediation: |",
        "  EDIT: how to fix it, as steps (Markdown). Until then: read the evidence lines and the",
        "  tool's documentation.",
    ]
    return "\n".join(out) + "\n"


# -- the cases --------------------------------------------------------------------------------


def _log(lines: Iterable[str]) -> str:
    return "".join(line.rstrip("\n") + "\n" for line in lines)


def make_draft(rule_id: str, source: DraftSource) -> Draft:
    """The rule file and its cases (not yet checked: see :func:`check_draft`)."""
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id):
        raise ConfigError(f"--id {rule_id!r}: a rule id is kebab-case (lower-case letters, digits and '-')")
    pattern, names = pattern_for(source.template, source.lines)
    cases = {"positive-sample.log": _log(source.sample)}
    distinct = list(dict.fromkeys(line for line in source.lines if line not in source.sample))[:10]
    if distinct:
        cases["positive-builds.log"] = _log(distinct)
    if not source.negative:
        raise ConfigError("no negative case: no successful build, no lines before the error and no other cluster to take one from")
    cases[f"negative-{source.negative_from}.log"] = _log(source.negative)
    return Draft(rule_id, render_rule(rule_id, source, pattern, names), cases)


def check_draft(draft: Draft, rules: Sequence[Any], directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Write the draft into ``directory`` (a scratch one), lint it and run its cases with ``rules``.

    Returns the ``expected.json`` data; raises :class:`ConfigError` saying what failed.
    """
    from analyzer.rules import load_rule_file
    from analyzer.rules.casecheck import check_case
    from analyzer.rules.fixtures import iter_cases, run_case
    from analyzer.rules.lint import lint_paths

    rule_path = directory / "rules" / f"{draft.rule_id}.yaml"
    rule_path.parent.mkdir(parents=True)
    rule_path.write_text(draft.yaml, encoding="utf-8")
    problems, _files = lint_paths([rule_path.parent])
    if problems:
        raise ConfigError("the drafted rule does not lint clean:\n" + "\n".join(p.format() for p in problems))
    rule = load_rule_file(rule_path)
    pack = [r for r in rules if r.id != rule.id] + [rule]
    cases_dir = directory / "fixtures" / draft.rule_id
    cases_dir.mkdir(parents=True)
    for name, text in draft.cases.items():
        (cases_dir / name).write_text(text, encoding="utf-8")
    expected: dict[str, list[dict[str, Any]]] = {}
    failures: list[str] = []
    for case in iter_cases(cases_dir.parent):
        actual = run_case(pack, case)
        expected[case.name] = actual
        result = check_case(case, actual, {})
        if not result.passed:
            failures += [f"{case.case_id}: {detail}" for detail in result.details]
    if failures:
        raise ConfigError("the drafted rule fails its own cases (nothing written):\n" + "\n".join(failures))
    return expected


def write_draft(draft: Draft, rules: Sequence[Any], rules_dir: Path, *, force: bool = False) -> list[Path]:
    """Check the draft, then write the rule into ``rules_dir`` and its cases beside it; returns the paths.

    Fixtures go to the folder ``rules test --rules-dir`` reads (``<rules_dir>/../fixtures/logs``
    or ``<rules_dir>/../fixtures``, created when neither exists). An existing file is an error
    unless ``force``. Nothing is written unless every check passed.
    """
    from analyzer.report import write_whole
    from analyzer.rules.commands import _fixtures_for
    from analyzer.rules.fixtures import EXPECTED_FILE, dump_expected

    rules_dir = Path(rules_dir)
    if rules_dir.exists() and not rules_dir.is_dir():
        raise ConfigError(f"--output-dir: {rules_dir} is not a directory")
    rules_dir.mkdir(parents=True, exist_ok=True)
    fixtures = _fixtures_for(rules_dir) or rules_dir.resolve().parent / "fixtures"
    targets = {rules_dir / f"{draft.rule_id}.yaml": draft.yaml}
    case_dir = fixtures / draft.rule_id
    with tempfile.TemporaryDirectory(prefix="codebuild-doctor-draft-") as scratch:
        expected = check_draft(draft, rules, Path(scratch))
    targets.update({case_dir / name: text for name, text in draft.cases.items()})
    targets[case_dir / EXPECTED_FILE] = dump_expected(expected)
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise ConfigError(f"{existing[0]} exists (--force replaces the draft's files)")
    case_dir.mkdir(parents=True, exist_ok=True)
    for path, text in targets.items():
        write_whole(text, path, None)  # type: ignore[arg-type]
    return list(targets)


# -- sources ----------------------------------------------------------------------------------


def source_from_scan(data: Mapping[str, Any], rank: int, *, path: str = "scan.json", cache: Any = None) -> DraftSource:
    """The draft source of cluster ``rank`` of a scan's JSON report (``--format json``).

    ``cache`` (a :class:`~analyzer.cache.BuildCache`) gives a successful build's log for the
    negative case. Raises :class:`ConfigError` naming the file and the problem.
    """
    if not isinstance(data, Mapping) or data.get("kind") != "scan":
        raise ConfigError(f"{path}: not a scan report (write one with 'codebuild-doctor scan --format json')")
    clusters = data.get("clusters")
    if not isinstance(clusters, list):
        raise ConfigError(f"{path}: no 'clusters' (a scan report of schema 1.1 or later is needed)")
    if not clusters:
        raise ConfigError(f"{path}: the scan has no recurring unknown failure to draft a rule from")
    cluster = next((c for c in clusters if isinstance(c, Mapping) and c.get("rank") == rank), None)
    if cluster is None:
        raise ConfigError(f"--cluster {rank}: {path} has clusters 1 to {len(clusters)}")
    try:
        sample_lines = [str(line["text"]) for line in cluster["sample"]["lines"]]
        block = [i for i, line in enumerate(cluster["sample"]["lines"]) if line["block"]]
        lines = tuple(str(m["line"]) for m in cluster["members"])
        template, phases, projects = str(cluster["template"]), tuple(cluster["phases"]), list(cluster["projects"])
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: cluster {rank} is not in the scan schema's shape (missing {exc})") from None
    if not sample_lines:
        raise ConfigError(
            f"--cluster {rank}: its builds have no log lines (the text is the build record's phase context): "
            "write that rule by hand, with 'source: phase-context' (README: Adding a rule)"
        )
    negative, negative_from = _success_log(data, projects, cache), "success"
    if not negative and block and block[0] > 0:
        negative, negative_from = sample_lines[: block[0]], "before-error"
    if not negative:
        others = [c for c in clusters if isinstance(c, Mapping) and c.get("rank") != rank]
        for other in others:
            near = [str(line.get("text", "")) for line in other.get("sample", {}).get("lines", [])]
            if near:
                negative, negative_from = near, "other-failure"
                break
    members = len(lines)
    return DraftSource(
        template=template,
        lines=lines,
        sample=tuple(sample_lines),
        negative=tuple(negative),
        negative_from=negative_from,
        phases=phases,
        origin=f"{Path(path).name}, cluster {rank}: {members} build{'' if members == 1 else 's'} of {', '.join(projects)}",
        name=str(cluster.get("name") or template),
    )


def _success_log(data: Mapping[str, Any], projects: Sequence[str], cache: Any) -> list[str]:
    """The last lines of the log of a build of one of ``projects`` that succeeded, from the cache."""
    if cache is None:
        return []
    from types import SimpleNamespace

    from analyzer.cache import log_key

    for build in data.get("builds") or ():
        record = build.get("build") if isinstance(build, Mapping) else None
        if not isinstance(record, Mapping) or record.get("status") != "SUCCEEDED":
            continue
        if record.get("project") not in projects or not record.get("log_group") or not record.get("log_stream"):
            continue
        # The key the scan stored the log under: the build ARN and the CloudWatch source's description.
        source = SimpleNamespace(description=f"cloudwatch:{record['log_group']}/{record['log_stream']}")
        cached = cache.get_log(log_key(str(record.get("build_arn") or record.get("build_id")), source))  # type: ignore[arg-type]
        if cached is None or cached[0] is None:
            continue
        text = b"".join(cached[0]).decode("utf-8", "replace")
        return text.splitlines()[-NEGATIVE_LINES:]
    return []


def source_from_log(path: Path, line_number: int) -> DraftSource:
    """The draft source of line ``line_number`` (1-based, as reports number them) of a saved log."""
    from analyzer.engine.lines import iter_lines, visible
    from analyzer.sources.file import FileSource

    lines = list(iter_lines(FileSource(str(path)).chunks()))
    if not 1 <= line_number <= len(lines):
        raise ConfigError(f"--line {line_number}: {path} has {len(lines)} lines")
    target = lines[line_number - 1]
    text = visible(target.text)
    if not text.strip():
        raise ConfigError(f"--line {line_number}: line {line_number} of {path} is blank")
    first, last = max(1, line_number - CONTEXT), min(len(lines), line_number + CONTEXT)
    window = [visible(line.text) for line in lines[first - 1 : last]]
    before = [visible(line.text) for line in lines[max(0, first - 1 - 20) : first - 1]]
    after = [visible(line.text) for line in lines[last : last + 20]]
    return DraftSource(
        template=fingerprint(text),
        lines=(text,),
        sample=tuple(window),
        negative=tuple(before or after),
        negative_from="before-error" if before else "after-error",
        phases=(target.phase,) if target.phase else (),
        origin=f"{Path(path).name}, line {line_number}",
        name=fingerprint(text),
    )


def load_scan(path: Path) -> Any:
    """A scan's JSON report; raises :class:`ConfigError` naming the file."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--from-scan: cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--from-scan: {path} is not JSON ({exc})") from None
