"""``rules lint``: every problem of a set of rule files, each with file:line, rule id and check name.

The loader stops at a rule's first error; lint goes on. For each file it reports
the loader's error (YAML syntax, schema, regex compile, template syntax, one per
file, as the loader's ``collect_errors`` does) and then runs the semantic checks
below on the file's data, so one run shows every problem of every file.

=====================  ========  ===========================================================
check                  severity  what it finds
=====================  ========  ===========================================================
``yaml``               error     unreadable file or YAML syntax error
``schema``             error     a violation of ``rule.schema.json`` (misspelt key, ...)
``regex``              error     a pattern that does not compile
``template``           error     a summary/remediation that is not valid Jinja2
``duplicate-id``       error     two files of one directory (or of the PATHs given) with one id
``file-name``          error     the file is not named ``<id>.yaml``
``undefined-capture``  error     a template reads a name no pattern captures (it renders empty)
``unused-capture``     warning   a named group no template reads (nor a group around it or
                                 inside it, in the same pattern: ``s3_uri`` around ``bucket``)
``build-attribute``    error     a template reads ``build.x`` that the build record does not
                                 have (it renders empty); the names are ``Build.to_dict()``'s
``reference``          error     a reference URL that is not ``https://host/...`` or has spaces;
                                 warning for the CodeBuild troubleshooting page without ``#anchor``
``backtracking``       error     nested quantifiers (``(a+)+``, ``(\\w+\\s?)*``, ``(.*)*``) or a
                                 quantified alternation of overlapping branches (``(a|aa)+``):
                                 exponential time on a near-miss line
``leading-wildcard``   warning   an unanchored pattern starting with an unbounded class
                                 (``.*``, ``.+``, ``\\S*``): quadratic on long lines
=====================  ========  ===========================================================

Each check is a kind of :class:`~analyzer.errors.RuleError` (:data:`KINDS`, as pySigma types
its errors): :meth:`Problem.to_error` gives the typed error with its location, so a caller
can tell an :class:`UndefinedCapture` from a :class:`~analyzer.errors.RuleSchemaError`
without reading messages. The loader's own kinds (``yaml``, ``schema``, ``regex``,
``template``) come every one, not only the first (:func:`~analyzer.rules.loader.rule_errors`).

Everything here is pure except :func:`lint_paths`, which reads the files.
The last two checks follow the measured traps of backtracking engines (a leading greedy class
is quadratic on a 200 KB line, nested quantifiers are exponential); the ``regex`` timeout only
bounds the damage.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from analyzer.errors import Location, RuleError, RuleFileError, RulePatternError, RuleSchemaError, RuleTemplateError

try:  # Python 3.11+: the parser behind ``re`` (the ``regex`` module has no public parse tree).
    import re._constants as _c  # type: ignore[import-not-found]
    import re._parser as _parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

ERROR = "error"
WARNING = "warning"



class DuplicateRuleId(RuleError):
    """Two files of one directory (or of the PATHs given) define one rule id."""

    check = "duplicate-id"


class RuleFileName(RuleError):
    """The file is not named after its rule's id."""

    check = "file-name"


class UndefinedCapture(RuleError):
    """A template reads a name that no pattern captures: it renders empty."""

    check = "undefined-capture"


class UnusedCapture(RuleError):
    """A named group that no template reads (a warning)."""

    check = "unused-capture"
    severity = WARNING


class UnknownBuildAttribute(RuleError):
    """A template reads ``build.x`` that the build record does not have: it renders empty."""

    check = "build-attribute"


class BadReference(RuleError):
    """A reference without a title, or a URL that is not ``https://host/...`` (an error); a link to
    the whole CodeBuild troubleshooting page (a warning)."""

    check = "reference"


class BacktrackingPattern(RuleError):
    """A pattern shaped for exponential backtracking (nested quantifiers, overlapping alternation)."""

    check = "backtracking"


class LeadingWildcard(RuleError):
    """An unanchored pattern that starts with an unbounded broad class (a warning)."""

    check = "leading-wildcard"
    severity = WARNING


KINDS: dict[str, type[RuleError]] = {
    kind.check: kind
    for kind in (
        RuleFileError,
        RuleSchemaError,
        RulePatternError,
        RuleTemplateError,
        DuplicateRuleId,
        RuleFileName,
        UndefinedCapture,
        UnusedCapture,
        UnknownBuildAttribute,
        BadReference,
        BacktrackingPattern,
        LeadingWildcard,
    )
}
"""Every check's name and its typed error (a :class:`~analyzer.errors.RuleError` subclass)."""

CHECKS: dict[str, str] = {check: getattr(kind, "severity", ERROR) for check, kind in KINDS.items()}
"""Every check's name and its default severity (``reference`` also warns; see above)."""

TROUBLESHOOTING_PAGE = "docs.aws.amazon.com/codebuild/latest/userguide/troubleshooting.html"
"""CodeBuild's one long troubleshooting page: a link to it must name its entry (``#anchor``)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One problem lint found in a rule file."""

    path: str
    line: int
    """1-based line in ``path`` (0 when unknown, e.g. an unreadable file)."""
    rule_id: str
    """The rule's id, or ``-`` when the file has none."""
    check: str
    """A key of :data:`CHECKS`."""
    message: str
    severity: str = ERROR
    """``error`` or ``warning``."""

    def format(self) -> str:
        """``path:line: [check] rule-id: message`` (``warning:`` prefixed to warnings' messages)."""
        prefix = "warning: " if self.severity == WARNING else ""
        return f"{self.path}:{self.line}: [{self.check}] {self.rule_id}: {prefix}{self.message}"

    @property
    def kind(self) -> type[RuleError]:
        """The problem's typed error class (``KINDS[check]``)."""
        return KINDS[self.check]

    def to_error(self) -> RuleError:
        """The problem as its typed error, located (``path:line (rule id)``)."""
        return self.kind(self.message, Location(self.path, self.line or None, None if self.rule_id == "-" else self.rule_id))

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON object (``kind`` is the typed error's class name)."""
        return {**asdict(self), "kind": self.kind.__name__}


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleFile:
    """One rule file as lint sees it: its text, data and line map, and the loader's first error."""

    path: str
    data: Any
    lines: Mapping[tuple[Any, ...], int]
    error: RuleError | None
    group: str
    """The PATH argument the file was found under (duplicate ids are checked within one group)."""
    text: str = ""
    """The file's text (``""`` when it could not be read)."""


def read_rule_file(path: Path, group: str = "") -> RuleFile:
    """Read, parse and compile one file, keeping the loader's error instead of raising it."""
    from analyzer.rules.loader import MAX_RULE_FILE_BYTES, check_rule_file, parse_yaml, rule_from_dict

    name = str(path)
    try:
        if group and group != "<files>":
            check_rule_file(path, Path(group))  # inside its directory, a regular file
        if path.stat().st_size > MAX_RULE_FILE_BYTES:
            raise RuleFileError(f"rule file is larger than {MAX_RULE_FILE_BYTES // 1024} KiB: refused", Location(name))
        text = path.read_text(encoding="utf-8")
    except RuleError as error:
        return RuleFile(name, None, {}, error, group)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return RuleFile(name, None, {}, RuleFileError(f"cannot read rule file: {reason}", Location(name)), group)
    try:
        data, lines = parse_yaml(text, name)
    except RuleError as error:
        return RuleFile(name, None, {}, error, group, text)
    try:
        rule_from_dict(data, name, lines)
    except RuleError as error:
        return RuleFile(name, data, lines, error, group, text)
    return RuleFile(name, data, lines, None, group, text)


def collect_files(paths: Iterable[Path]) -> tuple[list[RuleFile], list[Problem]]:
    """Rule files under each path (a file, or a directory searched for ``*.yaml``/``*.yml``).

    A path that does not exist is a problem of check ``yaml`` at line 0.
    """
    from analyzer.rules.loader import rule_files

    files: list[RuleFile] = []
    problems: list[Problem] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(read_rule_file(p, str(path)) for p in rule_files(path))
        elif path.is_file():
            files.append(read_rule_file(path, "<files>"))
        else:
            problems.append(Problem(str(path), 0, "-", "yaml", "no such file or directory"))
    return files, problems


# --- checks --------------------------------------------------------------------------------------


def lint_files(files: Sequence[RuleFile]) -> list[Problem]:
    """Every problem of ``files``, sorted by path, line and check."""
    problems: list[Problem] = []
    for file in files:
        problems.extend(check_file(file))
    problems.extend(check_duplicate_ids(files))
    return sorted(set(problems))


def lint_paths(paths: Iterable[Path]) -> tuple[list[Problem], int]:
    """Lint the rule files under ``paths``; returns the problems and the number of files read."""
    files, problems = collect_files(paths)
    return sorted(set(problems + lint_files(files))), len(files)


def check_file(file: RuleFile) -> list[Problem]:
    """Every loader error of the file (not only the first) plus every semantic check that can run
    on its data: one pass shows all of a file's problems."""
    from analyzer.rules.loader import rule_errors

    data = file.data if isinstance(file.data, dict) else {}
    rule_id = data.get("id") if isinstance(data.get("id"), str) else "-"
    semantic = [
        *check_file_name(file.path, data),
        *check_references(data, file.lines),
        *check_pattern_shapes(data, file.lines),
        *check_captures(data, file.lines),
        *check_build_attributes(data, file.lines, file.text),
    ]
    loader_errors: list[RuleError] = []
    if file.error is not None:
        # The first error stopped the loader; the data (when it parsed) may hold more.
        loader_errors = (rule_errors(file.data, file.path, file.lines) if file.data is not None else []) or [file.error]
    problems = []
    for error in loader_errors:
        line = error.location.line if error.location else None
        # The schema also refuses a non-https or spaced URL; the reference check says it better.
        if any(p.check == "reference" and p.line == line for p in semantic):
            continue
        check = error.check if error.check in KINDS else RuleSchemaError.check
        problems.append(Problem(file.path, line or 0, rule_id, check, error.message, CHECKS[check]))
    problems.extend(Problem(file.path, p.line, rule_id, p.check, p.message, p.severity) for p in semantic)
    return problems


def check_duplicate_ids(files: Sequence[RuleFile]) -> list[Problem]:
    """Two files of one group with one id: every file after the first is a problem at its ``id:`` line."""
    problems = []
    seen: dict[tuple[str, str], str] = {}
    for file in files:
        if not isinstance(file.data, dict) or not isinstance(file.data.get("id"), str):
            continue
        key = (file.group, file.data["id"])
        if key in seen:
            problems.append(
                Problem(
                    file.path,
                    file.lines.get(("id",), 1),
                    key[1],
                    "duplicate-id",
                    f"duplicate rule id {key[1]!r} (also in {seen[key]})",
                )
            )
        else:
            seen[key] = file.path
    return problems


def check_file_name(path: str, data: Mapping[str, Any]) -> list[Problem]:
    """The file must be named after the rule's id (``<id>.yaml`` or ``<id>.yml``)."""
    rule_id = data.get("id")
    stem = Path(path).stem
    if not isinstance(rule_id, str) or stem == rule_id:
        return []
    return [_p(1, rule_id, "file-name", f"file name {Path(path).name!r} does not match the id: name it '{rule_id}.yaml'")]


def _p(line: int | None, rule_id: str, check: str, message: str, severity: str | None = None) -> Problem:
    # The caller's file path is filled in by check_file.
    return Problem("", line or 0, rule_id, check, message, severity or CHECKS[check])


def _patterns(data: Mapping[str, Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Each pattern string of the rule's data with its key path (for its line)."""
    match = data.get("match")
    if not isinstance(match, dict):
        return
    for key in ("any", "all", "exclude", "nearby"):
        items = match.get(key)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if isinstance(item, str):
                yield ("match", key, index), item
            elif isinstance(item, dict) and isinstance(item.get("pattern"), str):
                yield ("match", key, index, "pattern"), item["pattern"]


def _line(lines: Mapping[tuple[Any, ...], int], path: tuple[Any, ...]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 0)


def check_captures(data: Mapping[str, Any], lines: Mapping[tuple[Any, ...], int]) -> list[Problem]:
    """Template names no pattern captures (error) and captures no template reads (warning).

    Names in :data:`~analyzer.rules.templates.TEMPLATE_GLOBALS` and Jinja2's own globals
    (``range``, ...) are always defined. A template that reads ``captures`` or ``hits`` uses
    them all. A group inside or around a group a template reads, in the same pattern, is
    shown with it (``s3_uri`` around ``bucket`` and ``key``) and is not reported. Runs on the
    file's data, so a pattern or template that does not compile only drops its own names.
    """
    import jinja2
    import regex

    from analyzer.rules.loader import PATTERN_FLAGS
    from analyzer.rules.templates import BUILTIN_NAMES, TEMPLATE_GLOBALS, assigned_names, undeclared_names

    rule_id = data.get("id") if isinstance(data.get("id"), str) else "-"
    captured: dict[str, int] = {}
    spans: list[dict[str, list[tuple[int, int]]]] = []  # per pattern: each group's spans in its text
    for path, pattern in _patterns(data):
        if path[1] == "exclude":
            continue  # an exclusion's groups are never captured
        try:
            names = regex.compile(pattern, PATTERN_FLAGS).groupindex
        except (regex.error, KeyError, ValueError):
            # The regex check reports it; its names, read from the text, still count as captured
            # (one broken pattern is one problem, not one more per template that reads its groups).
            names = group_spans(pattern)
        for name in names:
            captured.setdefault(name, _line(lines, path))
        spans.append(group_spans(pattern))
    always = set(TEMPLATE_GLOBALS) | set(BUILTIN_NAMES)
    used: set[str] = set()
    problems = []
    for field in ("summary", "remediation"):
        if not isinstance(data.get(field), str):
            continue
        try:
            names = undeclared_names(data[field])
            assigned = assigned_names(data[field])
        except jinja2.TemplateSyntaxError:
            used.add("captures")  # the template check reports it; what it reads is unknown
            continue
        used |= names
        # A name set in only some branches ({% if %}{% set x = ... %}) still counts as undeclared
        # for Jinja2; the template defines it, so it is not a capture.
        for name in sorted(names - always - assigned - set(captured)):
            problems.append(
                _p(
                    _line(lines, (field,)),
                    rule_id,
                    "undefined-capture",
                    f"{field} uses '{name}' but no pattern has a group (?P<{name}>...); it would render empty",
                )
            )
    if "captures" not in used and "hits" not in used:
        for name, line in sorted(captured.items()):
            if name not in used and not any(_shown_with(name, used, groups) for groups in spans):
                problems.append(
                    _p(line, rule_id, "unused-capture", f"group '{name}' is captured but no template uses it")
                )
    return problems


def _shown_with(name: str, used: set[str], groups: Mapping[str, list[tuple[int, int]]]) -> bool:
    """Whether every span of group ``name`` lies inside, or around, a span of a used group."""
    if name not in groups:
        return False
    other = [span for key, found in groups.items() if key in used for span in found]
    return all(
        any(a <= start and end <= b or start <= a and b <= end for a, b in other) for start, end in groups[name]
    )


def group_spans(pattern: str) -> dict[str, list[tuple[int, int]]]:
    """Each named group's ``(start, end)`` offsets in ``pattern`` (a name may occur twice).

    A plain scan: escapes and character classes are skipped, ``(?P<x>`` and ``(?<x>`` open
    a named group (``(?<=`` and ``(?<!`` are look-behinds).
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    stack: list[tuple[str | None, int]] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern.startswith("]", i + 1) or pattern.startswith("^]", i + 1):
                i += 1 + pattern.startswith("^", i + 1)  # a leading ] is a literal
        elif char == "(":
            named = _NAMED_GROUP.match(pattern, i)
            stack.append((pattern[i:named.end()].split("<", 1)[1][:-1] if named else None, i))
        elif char == ")" and stack:
            name, start = stack.pop()
            if name:
                spans.setdefault(name, []).append((start, i + 1))
        i += 1
    for name, start in stack:  # unbalanced (a pattern that does not compile): open to the end
        if name:
            spans.setdefault(name, []).append((start, len(pattern)))
    return spans


@functools.cache
def build_attributes() -> frozenset[str]:
    """The names a template may read from ``build``: the keys of :meth:`Build.to_dict`, which is
    what the engine hands templates (plus a dict's own methods, ``build.get(...)``)."""
    from analyzer.models import Build, BuildId

    return frozenset(Build(build_id=BuildId("p:0")).to_dict()) | frozenset(dir(dict))


def check_build_attributes(data: Mapping[str, Any], lines: Mapping[tuple[Any, ...], int], text: str = "") -> list[Problem]:
    """Each ``build.x`` (or ``build["x"]``, ``build.get("x")``) a template reads that the build
    record does not have: it renders empty, so the sentence silently loses its fact."""
    import jinja2
    import jinja2.nodes

    from analyzer.rules.templates import parse_template

    rule_id = data.get("id") if isinstance(data.get("id"), str) else "-"
    known = build_attributes()
    problems = []
    file_lines = text.splitlines()
    for field in ("summary", "remediation"):
        if not isinstance(data.get(field), str):
            continue
        try:
            tree = parse_template(data[field])
        except jinja2.TemplateSyntaxError:
            continue  # the template check reports it
        read: dict[str, int] = {}
        for node in tree.find_all((jinja2.nodes.Getattr, jinja2.nodes.Getitem, jinja2.nodes.Call)):
            name = _build_key(node)
            if name is not None and name not in known:
                read.setdefault(name, node.lineno)
        start = _line(lines, (field,))
        for name, lineno in sorted(read.items(), key=lambda item: (item[1], item[0])):
            line = _find_line(file_lines, start, f"build.{name}", f"'{name}'", f'"{name}"') or lines.get((field, "<line>", lineno)) or start
            suggestion = _closest(name, known - frozenset(dir(dict)))
            hint = f" (did you mean 'build.{suggestion}'?)" if suggestion else ""
            problems.append(
                _p(
                    line,
                    rule_id,
                    "build-attribute",
                    f"{field} reads 'build.{name}', which the build record does not have; it would render "
                    f"empty{hint}",
                )
            )
    return problems


def _build_key(node: Any) -> str | None:
    """The key ``node`` reads from the name ``build``: ``build.x``, ``build['x']``, ``build.get('x')``."""
    import jinja2.nodes as n

    if isinstance(node, n.Getattr) and isinstance(node.node, n.Name) and node.node.name == "build":
        return node.attr
    if isinstance(node, n.Getitem) and isinstance(node.node, n.Name) and node.node.name == "build":
        return node.arg.value if isinstance(node.arg, n.Const) and isinstance(node.arg.value, str) else None
    if (
        isinstance(node, n.Call)
        and isinstance(node.node, n.Getattr)
        and node.node.attr == "get"
        and isinstance(node.node.node, n.Name)
        and node.node.node.name == "build"
        and node.args
        and isinstance(node.args[0], n.Const)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def _find_line(file_lines: list[str], start: int, *needles: str) -> int:
    """The first 1-based line from ``start`` on that holds one of ``needles`` (0 if none)."""
    for number in range(max(start, 1), len(file_lines) + 1):
        if any(needle in file_lines[number - 1] for needle in needles):
            return number
    return 0


def _closest(name: str, known: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return found[0] if found else None


def check_references(data: Mapping[str, Any], lines: Mapping[tuple[Any, ...], int]) -> list[Problem]:
    """Each reference: a title, an ``https://host/...`` URL without spaces, and for the CodeBuild
    troubleshooting page, the ``#anchor`` of the entry (a warning)."""
    rule_id = data.get("id") if isinstance(data.get("id"), str) else "-"
    references = data.get("references")
    problems: list[Problem] = []
    if not isinstance(references, list):
        return problems
    for index, ref in enumerate(references):
        if not isinstance(ref, dict):
            continue
        url = ref.get("url")
        line = _line(lines, ("references", index, "url"))
        if not isinstance(ref.get("title"), str) or not ref["title"].strip():
            problems.append(_p(_line(lines, ("references", index)), rule_id, "reference", "reference has no title"))
        if not isinstance(url, str):
            continue
        parts = urlsplit(url.strip())
        if re.search(r"\s", url.strip()):
            problems.append(_p(line, rule_id, "reference", f"URL contains whitespace: {url!r}"))
        elif parts.scheme != "https":
            problems.append(_p(line, rule_id, "reference", f"URL is not https: {url!r}"))
        elif "." not in parts.netloc:
            problems.append(_p(line, rule_id, "reference", f"URL has no host: {url!r}"))
        elif url.endswith("#"):
            problems.append(_p(line, rule_id, "reference", f"URL has an empty #anchor: {url!r}"))
        elif f"{parts.netloc}{parts.path}" == TROUBLESHOOTING_PAGE and not parts.fragment:
            problems.append(
                _p(
                    line,
                    rule_id,
                    "reference",
                    "links the whole CodeBuild troubleshooting page: add the #anchor of the entry",
                    WARNING,
                )
            )
    return problems


# --- catastrophic backtracking -------------------------------------------------------------------

_NAMED_GROUP = re.compile(r"(?<!\\)\(\?P?<\w+>")
"""A named group, Python's (?P<x>...) or the regex module's (?<x>...) (not a look-behind)."""
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}
_SAMPLE = [chr(c) for c in range(32, 127)] + ["\t", "é", "\u00a0"]
"""Characters on which two branches' first characters are compared."""


def check_pattern_shapes(data: Mapping[str, Any], lines: Mapping[tuple[Any, ...], int]) -> list[Problem]:
    """Patterns shaped for catastrophic backtracking (see the module docstring)."""
    rule_id = data.get("id") if isinstance(data.get("id"), str) else "-"
    problems = []
    for path, pattern in _patterns(data):
        for check, message in pattern_shape_problems(pattern):
            problems.append(_p(_line(lines, path), rule_id, check, f"{message}: {pattern!r}"))
    return problems


def pattern_shape_problems(pattern: str) -> list[tuple[str, str]]:
    """``(check, message)`` for each risky shape of one pattern; ``[]`` if it cannot be parsed.

    Parsed with Python's ``re`` parser (group names stripped, since the ``regex`` module
    allows a name twice); syntax only ``regex`` knows (``\\p{L}``...) is not analysed.
    """
    try:
        tree = _parser.parse(_NAMED_GROUP.sub("(", pattern))
    except Exception:  # noqa: BLE001 - regex-only syntax, or invalid (the regex check reports that)
        return []
    found: list[tuple[str, str]] = []
    _walk(list(tree), found, inside_repeat=False)
    first = _first_consuming(list(tree))
    if first is not None and first[0] in _REPEATS:
        low, high, body = first[1]
        if high == _c.MAXREPEAT and _broad_class(list(body)):
            found.append(
                (
                    "leading-wildcard",
                    f"starts with an unbounded {_describe(first)} and no ^ anchor: quadratic on long lines",
                )
            )
    return list(dict.fromkeys(found))


def _walk(items: list[Any], found: list[tuple[str, str]], inside_repeat: bool) -> None:
    for op, arg in items:
        if op in _REPEATS:
            low, high, body = arg
            body = list(body)
            if high == _c.MAXREPEAT or high > 10:
                flat = _unwrap(body)
                core = [item for item in flat if not _nullable([item])]
                optional = [item for item in flat if _nullable([item])]
                if _nullable(body):
                    found.append(("backtracking", "a quantified group that can match the empty string (like (.*)*)"))
                elif len(core) == 1 and core[0][0] in _REPEATS and core[0][1][1] == _c.MAXREPEAT:
                    found.append(("backtracking", "nested quantifiers (like (a+)+ or (\\w+\\s?)*)"))
                elif len(core) == 1 and any(_first_chars([core[0]]) & _first_chars([o]) for o in optional):
                    # (a|aa)+ is parsed as (a(?:|a))+: one iteration or two match the same text.
                    found.append(("backtracking", "a quantified alternation of overlapping branches (like (a|aa)+)"))
                elif _overlapping_branches(body) or _duplicate_branches(flat):
                    found.append(("backtracking", "a quantified alternation of overlapping branches (like (a|aa)+)"))
            _walk(body, found, True)
        elif op is _c.SUBPATTERN:
            _walk(list(arg[-1]), found, inside_repeat)
        elif op is _c.BRANCH:
            for branch in arg[1]:
                _walk(list(branch), found, inside_repeat)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            _walk(list(arg[1]), found, inside_repeat)
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            continue  # an atomic group never backtracks into itself


def _unwrap(items: list[Any]) -> list[Any]:
    """A body that is one plain group, unwrapped."""
    while len(items) == 1 and items[0][0] is _c.SUBPATTERN:
        items = list(items[0][1][-1])
    return items


def _duplicate_branches(items: list[Any]) -> bool:
    """Whether an alternation here has two equal branches: ``(a|a)+`` is parsed as ``a(?:|)``,
    the common prefix factored out and two empty branches left (each iteration matches twice)."""
    for op, arg in items:
        if op is _c.BRANCH:
            branches = [repr(list(b)) for b in arg[1]]
            if len(set(branches)) < len(branches):
                return True
        elif op is _c.SUBPATTERN and _duplicate_branches(list(arg[-1])):
            return True
    return False


def _overlapping_branches(body: list[Any]) -> bool:
    body = _unwrap(body)
    if len(body) == 1 and body[0][0] is _c.IN:
        return False  # (?:a|b) is parsed as the class [ab]
    if not (len(body) == 1 and body[0][0] is _c.BRANCH):
        return False
    firsts = [_first_chars(list(branch)) for branch in body[0][1][1]]
    for i, a in enumerate(firsts):
        for b in firsts[i + 1 :]:
            if a & b:
                return True
    return False


def _nullable(items: list[Any]) -> bool:
    """Whether ``items`` can match the empty string."""
    for op, arg in items:
        if op in _ZERO_WIDTH:
            continue
        if op in _REPEATS:
            if arg[0] > 0 and not _nullable(list(arg[2])):
                return False
        elif op is _c.SUBPATTERN:
            if not _nullable(list(arg[-1])):
                return False
        elif op is _c.BRANCH:
            if not any(_nullable(list(b)) for b in arg[1]):
                return False
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            if not _nullable(list(arg)):
                return False
        elif op is _c.GROUPREF:
            continue
        else:
            return False
    return True


def _first_consuming(items: list[Any]) -> Any | None:
    """The first item that consumes a character, ``None`` when the pattern is anchored at ``^``."""
    for op, arg in items:
        if op is _c.AT:
            if arg in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING):
                return None
            continue
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            continue
        if op is _c.SUBPATTERN:
            inner = _unwrap([(op, arg)])
            if inner and inner[0][0] is not _c.BRANCH:
                return _first_consuming(inner)
        return (op, arg)
    return None


def _broad_class(body: list[Any]) -> bool:
    """One character matcher that matches most printable characters (``.``, ``\\S``, ``\\w``, ``[^']``)."""
    body = _unwrap(body)
    if len(body) != 1 or body[0][0] not in (_c.ANY, _c.IN, _c.NOT_LITERAL):
        return False
    return sum(_char_matches(body[0], c) for c in _SAMPLE) >= 60


def _describe(item: Any) -> str:
    low, high, body = item[1]
    op, arg = _unwrap(list(body))[0]
    if op is _c.ANY:
        what = "."
    elif op is _c.IN and len(arg) == 1 and arg[0][0] is _c.CATEGORY:
        what = {_c.CATEGORY_NOT_SPACE: "\\S", _c.CATEGORY_WORD: "\\w", _c.CATEGORY_SPACE: "\\s"}.get(
            arg[0][1], "class"
        )
    else:
        what = "[...]"
    return f"{what}{'*' if low == 0 else '+'}"


def _first_chars(items: list[Any]) -> set[str]:
    """Sample characters the sequence ``items`` can start with."""
    chars: set[str] = set()
    for op, arg in items:
        if op in _ZERO_WIDTH:
            continue
        if op in _REPEATS:
            chars |= _first_chars(list(arg[2]))
            if arg[0] > 0 and not _nullable(list(arg[2])):
                return chars
            continue
        if op is _c.SUBPATTERN:
            chars |= _first_chars(list(arg[-1]))
            if not _nullable(list(arg[-1])):
                return chars
            continue
        if op is _c.BRANCH:
            for branch in arg[1]:
                chars |= _first_chars(list(branch))
            if not any(_nullable(list(b)) for b in arg[1]):
                return chars
            continue
        return chars | {c for c in _SAMPLE if _char_matches((op, arg), c)}
    return chars


def _char_matches(item: Any, char: str) -> bool:
    op, arg = item
    if op is _c.ANY:
        return char != "\n"
    if op is _c.LITERAL:
        return ord(char) == arg
    if op is _c.NOT_LITERAL:
        return ord(char) != arg
    if op is _c.IN:
        negate = any(o is _c.NEGATE for o, _ in arg)
        hit = any(_class_item(o, a, char) for o, a in arg if o is not _c.NEGATE)
        return hit != negate
    return True  # unknown: assume it may overlap


def _class_item(op: Any, arg: Any, char: str) -> bool:
    if op is _c.LITERAL:
        return ord(char) == arg
    if op is _c.RANGE:
        return arg[0] <= ord(char) <= arg[1]
    if op is _c.CATEGORY:
        name = str(arg).lower()
        tests = {
            "category_digit": char.isdigit(),
            "category_not_digit": not char.isdigit(),
            "category_space": char.isspace(),
            "category_not_space": not char.isspace(),
            "category_word": char.isalnum() or char == "_",
            "category_not_word": not (char.isalnum() or char == "_"),
        }
        return tests.get(name, True)
    return True
