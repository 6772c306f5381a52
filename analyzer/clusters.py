"""Recurring unknown failures: the error blocks of a scan's unexplained builds, clustered by template.

A build no specific rule explains (:attr:`~analyzer.models.Diagnosis.explained_by` is
``None``: the failure locator's finding, a wrapper, or nothing at all) still has an error
block: the failure locator's lines, else the top finding's log evidence, else the log's last
error-looking lines, else the failed phase's context from the record. Of that block, the
**most telling line** (a tool's error or an exception rather than a test's header or
Python's ``Traceback`` line) is the build's **fingerprint line**.

Each token of a fingerprint line that has a volatile part (a number, a hash, a path, a time:
whatever :func:`analyzer.engine.locator.shape` masks, and a ``[REDACTED:...]`` mask) is
replaced by ``<*>``, and the masked lines are clustered with Drain (``drain3``), which
generalises the tokens that still differ between lines of the same shape (a module name, a
quoted value). Builds are fed oldest first, so the result does not depend on the order of a
report. A cluster has a name (its template, shortened), the template, its builds, the build
minutes they lost, when it was first and last seen, and one build's error block as a sample.

:func:`fingerprint` is what the scan cache keeps per build (see :mod:`analyzer.cache`): the
masked line, from which a cluster counts the builds of the cache's whole history
(:class:`~analyzer.models.FingerprintHistory`) that match its template.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analyzer.models import Build, ContextLine, Diagnosis, Finding, FingerprintHistory, ScanReport

WILDCARD = "<*>"
"""A variable part of a template (Drain's parameter string)."""

MAX_TOKENS = 40
"""Tokens of a fingerprint line kept: what names a failure is at its start."""

MAX_NAME = 100
"""Characters of a cluster's name at most."""

SIMILARITY = 0.55
"""Drain's similarity threshold: the share of a template's tokens a line must share to join it.
Drain's default, 0.4, merges short messages that share only their first words (``Error:
Cannot find module 'x'`` with ``Error: Cannot read property 'y'``)."""

DEPTH = 4
"""Drain's parse-tree depth (its default): the first two tokens route a line."""

NO_TEXT = "(no log output and no phase context)"
"""The fingerprint line of a build with no text at all."""

_TELLING = {"diagnostic": 0, "error-words": 1, "test-failure": 2, "progress": 3, "warning": 4}
"""How telling each kind of line (:func:`analyzer.engine.locator.classify`) is about *what*
failed: a tool's error says more than a test's header, which names the test."""


@dataclass(frozen=True)
class ErrorBlock:
    """A build's error block, as clustering reads it."""

    lines: tuple[ContextLine, ...]
    """The block's lines in log order (``line_number`` 0 for text from the build record)."""
    telling: int
    """Index in :attr:`lines` of the most telling line (the fingerprint line)."""
    phase: str | None = None
    """The phase the block is in (from the log's agent lines, else the record's failed phase)."""
    finding: Finding | None = None
    """The finding whose evidence the block is (its context is the cluster's sample)."""

    @property
    def line(self) -> ContextLine:
        """The most telling line."""
        return self.lines[self.telling]


@dataclass(frozen=True)
class Member:
    """One build of a cluster."""

    build_id: str
    project: str
    start_time: datetime | None
    minutes: float
    """The build's duration (``startTime`` to ``endTime``), minutes."""
    block: ErrorBlock
    build: Build | None = None

    @property
    def line(self) -> str:
        """The build's fingerprint line, as the log has it."""
        return self.block.line.text


@dataclass(frozen=True)
class Cluster:
    """Unexplained builds whose fingerprint lines share one template."""

    rank: int
    """1 for the cluster with the most builds (then the most minutes): ``rules draft --cluster N``."""
    template: str
    """The fingerprint lines' template, variable tokens as ``<*>``."""
    members: tuple[Member, ...]
    """Its builds, newest first."""
    history: FingerprintHistory | None = None
    """Builds of the scan cache's whole history with this template (``None`` without a cache)."""
    name: str = field(default="")
    """The template, shortened to :data:`MAX_NAME` characters."""

    @property
    def builds(self) -> int:
        """How many builds of the scan it has."""
        return len(self.members)

    @property
    def minutes_lost(self) -> float:
        """The build minutes its builds ran."""
        return sum(m.minutes for m in self.members)

    @property
    def first_seen(self) -> datetime | None:
        """When its oldest build of the scan started."""
        times = [m.start_time for m in self.members if m.start_time]
        return min(times) if times else None

    @property
    def last_seen(self) -> datetime | None:
        """When its newest build of the scan started."""
        times = [m.start_time for m in self.members if m.start_time]
        return max(times) if times else None

    @property
    def projects(self) -> tuple[str, ...]:
        """Its projects, most builds first."""
        counts: dict[str, int] = {}
        for m in self.members:
            counts[m.project] = counts.get(m.project, 0) + 1
        return tuple(sorted(counts, key=lambda p: (-counts[p], p)))

    @property
    def phases(self) -> tuple[str, ...]:
        """The phases its error blocks were in, in build order."""
        from analyzer.engine.structure import PHASE_ORDER

        found = {m.block.phase for m in self.members if m.block.phase}
        return tuple(sorted(found, key=lambda p: (PHASE_ORDER.index(p) if p in PHASE_ORDER else 99, p)))

    @property
    def sample(self) -> Member:
        """The member whose error block is shown: the newest with a log excerpt."""
        return next((m for m in self.members if m.block.finding is not None), self.members[0])


# -- a build's error block --------------------------------------------------------------------


def telling_index(texts: Sequence[str]) -> int:
    """Index of the most telling of a block's lines: the first of the best kind, one that names
    an error (``Error: UPGRADE FAILED``) before one that does not (``history.go:56: [debug] ...``)."""
    from analyzer.engine.locator import CLASSIFY_CHARS, ERROR_WORDS, classify

    if len(texts) < 2:
        return 0
    best, best_rank = 0, (99, 99)
    for index, text in enumerate(texts):
        text = text[:CLASSIFY_CHARS]
        if text.lstrip().startswith("Traceback (most recent call last)"):
            rank = (9, 0)  # Python's header: the exception line below it says what failed
        else:
            rank = (_TELLING.get(classify(text), 5), 0 if ERROR_WORDS.search(text) else 1)
        if rank < best_rank:
            best, best_rank = index, rank
            if rank == (0, 0):
                break  # a tool's error naming an error: none ranks above it
    return best


def error_block(diagnosis: Diagnosis) -> ErrorBlock:
    """The error block of an unexplained build (see the module docstring for where it comes from)."""
    from analyzer.engine.ranking import LOCATOR_TAG

    build = diagnosis.build
    failed = build.failed_phase if build is not None else None
    fallback_phase = failed.phase_type if failed is not None else None
    located = next((f for f in diagnosis.findings if LOCATOR_TAG in f.tags), None)
    for finding in (located, diagnosis.root_cause):
        if finding is None:
            continue
        lines = tuple(ContextLine(e.line_number, e.text) for e in finding.evidence if e.line_number is not None)
        if lines:
            phase = next((e.phase for e in finding.evidence if e.phase), None) or fallback_phase
            return ErrorBlock(lines, telling_index([c.text for c in lines]), phase, finding)
    if diagnosis.tail:
        lines = tuple(diagnosis.tail)
        return ErrorBlock(lines, telling_index([c.text for c in lines]), fallback_phase)
    contexts = [c for c in failed.contexts if c.message or c.status_code] if failed is not None else []
    if contexts:
        text = f"{contexts[0].status_code}: {contexts[0].message}".strip(": ")
        return ErrorBlock((ContextLine(0, text),), 0, fallback_phase)
    return ErrorBlock((ContextLine(0, NO_TEXT),), 0, fallback_phase)


def tokens(text: str) -> list[str]:
    """A line's first :data:`MAX_TOKENS` tokens (split at whitespace, as Drain splits)."""
    return text.split(None, MAX_TOKENS)[:MAX_TOKENS]


def mask_token(token: str) -> str:
    """``<*>`` for a token with a volatile part (a number, a hash, a path, a time, a redaction), else the token."""
    from analyzer.engine.locator import shape
    from analyzer.redact import MASK_RE

    if shape(token) != token or MASK_RE.search(token):
        return WILDCARD
    return token


def fingerprint(text: str) -> str:
    """A fingerprint line masked: what Drain clusters and what the scan cache keeps.

    Same as :func:`mask_token` on each token, with one :func:`~analyzer.engine.locator.shape`
    of the line (its masks never span whitespace, so the tokens stay aligned).
    """
    from analyzer.engine.locator import shape

    raw = tokens(text)
    if not raw:
        return NO_TEXT
    masked = shape(" ".join(raw)).split()
    return " ".join(
        WILDCARD if shaped != token or "[REDACTED" in token else token for token, shaped in zip(raw, masked)
    )


# -- clustering -------------------------------------------------------------------------------


class Clusterer:
    """Drain over masked fingerprint lines: :meth:`add` each (oldest first), then read templates."""

    def __init__(self, similarity: float = SIMILARITY) -> None:
        from drain3.drain import Drain  # only scans with unexplained builds pay for the import

        self.drain: Any = Drain(depth=DEPTH, sim_th=similarity, max_children=100, param_str=WILDCARD)
        self._seen: dict[str, int] = {}

    def add(self, masked: str) -> int:
        """Add one masked line; returns its cluster's id.

        A line met before goes to the cluster it went to then, without Drain's search: a
        cluster's template only ever grows more general, so it still fits. Masked lines
        repeat a lot (that is the point), and Drain's search is linear in a leaf's clusters.
        """
        known = self._seen.get(masked)
        if known is not None:
            return known
        cluster, _change = self.drain.add_log_message(masked)
        self._seen[masked] = int(cluster.cluster_id)
        return int(cluster.cluster_id)

    def template(self, cluster_id: int) -> str:
        """A cluster's current template."""
        return str(self.drain.id_to_cluster[cluster_id].get_template())

    def match(self, masked: str) -> int | None:
        """The id of the cluster a line fits without changing any (``None``: none fits)."""
        cluster = self.drain.match(masked, full_search_strategy="fallback")
        return int(cluster.cluster_id) if cluster is not None else None


def cluster_texts(texts: Iterable[str], similarity: float = SIMILARITY) -> tuple[list[int], Clusterer]:
    """Cluster fingerprint lines (in the order given); returns each one's cluster id and the clusterer."""
    clusterer = Clusterer(similarity)
    return [clusterer.add(fingerprint(text)) for text in texts], clusterer


def unexplained(report: ScanReport) -> list[Diagnosis]:
    """The report's failed builds no specific rule explains, oldest first (then by build id).

    A build that succeeded (``scan --status SUCCEEDED``) has nothing to explain: it is left out.
    """
    items = [
        d
        for d in report.diagnoses
        if d.explained_by is None and (d.build is None or d.build.status not in ("SUCCEEDED", "IN_PROGRESS"))
    ]
    return sorted(items, key=lambda d: _oldest_first(d.build))


def _oldest_first(build: Build | None) -> tuple[float, str]:
    started = build.start_time.timestamp() if build is not None and build.start_time else 0.0
    return (started, build.build_id if build is not None else "")


def _member(diagnosis: Diagnosis) -> Member:
    build = diagnosis.build
    seconds = build.duration_seconds if build is not None else None
    return Member(
        build_id=(build.build_id if build is not None else "") or "(log only)",
        project=(build.project if build is not None else None) or "(no project)",
        start_time=build.start_time if build is not None else None,
        minutes=(seconds or 0.0) / 60.0,
        block=error_block(diagnosis),
        build=build,
    )


def cluster_report(report: ScanReport, similarity: float = SIMILARITY) -> tuple[Cluster, ...]:
    """The scan's unexplained builds as clusters, ranked by builds, then minutes lost, then template.

    With :attr:`~analyzer.models.ScanReport.history` (the scan cache's fingerprints), each
    cluster also counts the builds of the cache's history whose fingerprint fits its template.
    """
    members = [_member(d) for d in unexplained(report)]
    if not members:
        return ()
    ids, clusterer = cluster_texts(m.line for m in members)
    groups: dict[int, list[Member]] = {}
    for cluster_id, member in zip(ids, members):
        groups.setdefault(cluster_id, []).append(member)
    history = _history(report.history, clusterer, set(groups)) if report.history else {}
    clusters = []
    for cluster_id, items in groups.items():
        items.sort(key=lambda m: _oldest_first(m.build), reverse=True)
        template = generalise(clusterer.template(cluster_id), [m.line for m in items])
        clusters.append(Cluster(0, template, tuple(items), history.get(cluster_id), name=_name(template)))
    clusters.sort(key=lambda c: (-c.builds, -c.minutes_lost, c.template))
    import dataclasses

    return tuple(dataclasses.replace(c, rank=i) for i, c in enumerate(clusters, 1))


def generalise(template: str, lines: Sequence[str]) -> str:
    """``template`` with each ``<*>`` that stands for one same token in every line put back
    (``"extensions/v1beta1"`` was masked as a path, but never varies): only what varies stays ``<*>``."""
    slots = template.split()
    columns = [tokens(line) for line in lines]
    if not columns or any(len(c) != len(slots) for c in columns):
        return template
    return " ".join(
        columns[0][i] if slot == WILDCARD and all(c[i] == columns[0][i] for c in columns) else slot
        for i, slot in enumerate(slots)
    )


def _history(
    entries: Sequence[FingerprintHistory], clusterer: Clusterer, wanted: set[int]
) -> dict[int, FingerprintHistory]:
    """The cache's fingerprints summed per cluster of the scan (those that fit none are left out)."""
    totals: dict[int, FingerprintHistory] = {}
    for entry in entries:
        cluster_id = clusterer.match(entry.fingerprint)
        if cluster_id is None or cluster_id not in wanted:
            continue
        seen = totals.get(cluster_id)
        if seen is None:
            totals[cluster_id] = FingerprintHistory(
                clusterer.template(cluster_id), entry.builds, entry.first_seen, entry.last_seen
            )
            continue
        totals[cluster_id] = FingerprintHistory(
            seen.fingerprint,
            seen.builds + entry.builds,
            _earliest(seen.first_seen, entry.first_seen),
            _latest(seen.last_seen, entry.last_seen),
        )
    return totals


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((t for t in (a, b) if t is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)


def _name(template: str) -> str:
    """A cluster's name: its template, cut at a word within :data:`MAX_NAME` characters."""
    if len(template) <= MAX_NAME:
        return template
    cut = template[: MAX_NAME - 1].rsplit(" ", 1)[0]
    return cut + "…"
