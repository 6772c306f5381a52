"""Load rule files: YAML -> JSON Schema check -> compiled :class:`~analyzer.models.Rule`.

Two layers, as in pySigma: :func:`load_rule_file` reads a file (the only I/O),
:func:`rule_from_dict` builds a rule from data and is tested with inline YAML.
Every error names the file, the line and the rule id.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import regex

from analyzer.errors import Location, RuleError, RuleFileError, RulePatternError, RuleSchemaError, RuleTemplateError
from analyzer.models import Exclusion, NearbyCapture, Pattern, Reference, Rule, RuleId, Severity, TextSource

# yaml, jsonschema and jinja2 (~100 ms of imports, ~350 ms of parsing and compiling for the
# shipped pack) are imported only when a rule file is not in the compiled-rule cache.

PATTERN_FLAGS = regex.VERSION0
"""Flags every rule pattern is compiled with (``ignore_case: true`` adds ``IGNORECASE``)."""


@lru_cache(maxsize=1)
def rule_schema() -> dict[str, Any]:
    """The JSON Schema every rule file is validated against (shipped as package data)."""
    text = resources.files("analyzer.rules").joinpath("rule.schema.json").read_text("utf-8")
    return json.loads(text)


def default_rules_dir() -> Path:
    """The shipped rule pack: inside the installed package, or ``rules/`` of a source checkout."""
    packaged = Path(str(resources.files("analyzer"))) / "data" / "rules"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "rules").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout / "rules"
    raise RuleError(f"the shipped rule pack was not found (looked in {packaged} and {checkout / 'rules'})")


@lru_cache(maxsize=1)
def _line_loader() -> Any:
    """A safe loader that refuses duplicate keys (YAML would silently keep the last one).

    Built on first use, so a start that finds every rule in the compiled cache never imports yaml.
    """
    import yaml

    class _LineLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first at line {seen[key]})", key_node.start_mark
                    )
                seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

    return _LineLoader


def load_yaml(text: str) -> Any:
    """Parse YAML safely, refusing duplicate keys; raises ``yaml.YAMLError`` with a mark."""
    import yaml

    return yaml.load(text, Loader=_line_loader())  # noqa: S506 - a SafeLoader subclass


TEMPLATE_FIELDS = ("summary", "remediation")
"""The rule keys whose values are Jinja templates."""


def _compose_lines(node: Any, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> None:
    import yaml

    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _compose_lines(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
            if not path and key in TEMPLATE_FIELDS and isinstance(value_node, yaml.ScalarNode):
                for number, line in _template_lines(value_node).items():
                    lines[(key, "<line>", number)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _compose_lines(item, path + (index,), lines)


def _template_lines(node: Any) -> dict[int, int]:
    """For a scalar holding a template: the file's 1-based line of each of its text's lines.

    Jinja numbers an error by the line of the scalar's *value*; where that line is in the
    file depends on the scalar's style. An inline scalar (``summary: "..."``) starts on the
    key's line; a block scalar (``|``, ``>``) on the line after its indicator. A literal block
    keeps every line; a folded or multi-line flow scalar joins its lines with spaces and
    starts a new line of text only at an empty line, so a line of text maps to the file
    line its paragraph starts on.
    """
    buffer = getattr(node.start_mark, "buffer", None)
    if not isinstance(buffer, str):
        return {}
    block = node.style in ("|", ">")
    first = node.start_mark.line + (1 if block else 0)  # 0-based line of the first text line
    last = node.end_mark.line - (1 if node.end_mark.column == 0 else 0)
    raw = buffer.split("\n")[first : max(first, last) + 1]
    if node.style == "|":
        return {number: first + number for number in range(1, len(raw) + 1)}
    mapping = {1: first + 1}
    number = 1
    for offset, text in enumerate(raw[1:], start=1):
        if not text.strip():  # an empty line is a line break in the value; the next line starts one
            number += 1
            mapping[number] = first + offset + 2
    return mapping


def _line_of(lines: Mapping[tuple[Any, ...], int], path: Iterable[Any]) -> int | None:
    """The line of the deepest known prefix of ``path``."""
    parts = tuple(path)
    while parts not in lines and parts:
        parts = parts[:-1]
    return lines.get(parts)


MAX_RULE_FILE_BYTES = 1 << 20
"""A rule file larger than this (1 MiB) is refused: the largest shipped rule is a few KiB."""
MAX_YAML_NODES = 100_000
"""Nodes a rule file may expand to, aliases followed (a YAML alias bomb expands to billions)."""


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """Nodes ``node`` stands for once every alias is expanded, counted without expanding."""
    import yaml

    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = MAX_YAML_NODES + 1  # a node that contains itself expands forever
    size = 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            size += _expanded_size(key_node, memo) + _expanded_size(value_node, memo)
            if size > MAX_YAML_NODES:
                break
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            size += _expanded_size(item, memo)
            if size > MAX_YAML_NODES:
                break
    memo[key] = size
    return size


def parse_yaml(text: str, path: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse YAML text into data plus a map from key paths to 1-based lines.

    Bounded: a text over :data:`MAX_RULE_FILE_BYTES`, or one that expands (through its
    aliases) to more than :data:`MAX_YAML_NODES` nodes, is a :class:`RuleError` before any
    of it is built.
    """
    import yaml

    if len(text) > MAX_RULE_FILE_BYTES:
        raise RuleFileError(f"rule file is larger than {MAX_RULE_FILE_BYTES // 1024} KiB: refused", Location(path))
    loader = _line_loader()
    try:
        node = yaml.compose(text, Loader=loader)
        if node is not None and _expanded_size(node, {}) > MAX_YAML_NODES:
            raise RuleFileError(
                f"rule file expands to more than {MAX_YAML_NODES} YAML nodes (aliases followed): refused",
                Location(path),
            )
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleFileError(f"YAML syntax error: {problem}", Location(path, line)) from None
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _compose_lines(node, (), lines)
    return data, lines


def rule_from_dict(
    data: Any,
    source: str = "<string>",
    lines: Mapping[tuple[Any, ...], int] | None = None,
    *,
    trusted: bool = False,
) -> Rule:
    """Validate ``data`` (one rule's mapping) and compile it into a :class:`Rule`.

    Raises :class:`RuleError` with file, line and rule id on a schema violation,
    a pattern that does not compile (the pattern is quoted), or a bad template.
    ``trusted`` data (from the compiled-rule cache: this exact file content passed
    every check before) skips the schema check and compiles templates on first use.
    """
    lines = lines or {}
    rule_id = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None

    def fail(message: str, path: Iterable[Any] = (), kind: type[RuleError] = RuleSchemaError) -> RuleError:
        return kind(message, Location(source, _line_of(lines, path), rule_id))

    if not isinstance(data, dict):
        raise fail("a rule file must hold one mapping (id, title, severity, ...)")
    if not trusted:
        _validate(data, fail)
    return _build(data, source, lines, fail, rule_id, trusted)


def _validate(data: dict[str, Any], fail: Any) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(rule_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            # Point at the misspelt key itself, not at the mapping that holds it.
            unknown = [k for k in error.instance if k not in error.schema.get("properties", {})]
            path += unknown[:1]
        raise fail(f"{where}: {_schema_message(error)}", path)


def rule_errors(data: Any, source: str = "<string>", lines: Mapping[tuple[Any, ...], int] | None = None) -> list[RuleError]:
    """Every error :func:`rule_from_dict` would stop at, not only the first (for ``rules lint``).

    Each schema violation (each unknown key on its own line), each pattern that does not
    compile and each template that does not parse, typed (:class:`RuleSchemaError`,
    :class:`RulePatternError`, :class:`RuleTemplateError`) and located like the loader's.
    Patterns and templates are checked wherever the data has them, even when the schema fails.
    """
    lines = lines or {}
    rule_id = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None

    def fail(message: str, path: Iterable[Any] = (), kind: type[RuleError] = RuleSchemaError) -> RuleError:
        return kind(message, Location(source, _line_of(lines, path), rule_id))

    if not isinstance(data, dict):
        return [fail("a rule file must hold one mapping (id, title, severity, ...)")]
    import jsonschema

    errors: list[RuleError] = []
    validator = jsonschema.Draft202012Validator(rule_schema())
    for error in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        error = jsonschema.exceptions.best_match([error])
        path = list(error.absolute_path)
        where = "/".join(str(p) for p in path) or "(top level)"
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {})
            for key in (k for k in error.instance if k not in known):
                name = str(key) if len(str(key)) <= 40 else str(key)[:37] + "..."
                errors.append(fail(f"{where}: unknown key {name!r}", [*path, key]))
        else:
            errors.append(fail(f"{where}: {_schema_message(error)}", path))
    match = data.get("match")
    for key in ("any", "all", "exclude", "nearby") if isinstance(match, dict) else ():
        for index, item in enumerate(match[key] if isinstance(match.get(key), list) else ()):
            spec = {"pattern": item} if isinstance(item, str) else item
            if isinstance(spec, dict) and isinstance(spec.get("pattern"), str):
                try:
                    _compile(spec["pattern"], spec.get("ignore_case") is True, fail, ("match", key, index))
                except RuleError as error:
                    errors.append(error)
    for name in ("summary", "remediation"):
        if isinstance(data.get(name), str):
            import jinja2

            from analyzer.rules.templates import compile_template

            try:
                compile_template(data[name])
            except jinja2.TemplateSyntaxError as exc:
                errors.append(_template_error(name, exc, source, lines, rule_id))
    return _unique(errors)


def _template_error(name: str, exc: Any, source: str, lines: Mapping[tuple[Any, ...], int], rule_id: str | None) -> RuleTemplateError:
    """The error for template ``name`` (``summary``/``remediation``), at its line in the file."""
    line = lines.get((name, "<line>", exc.lineno or 1)) or _line_of(lines, (name,))
    return RuleTemplateError(f"{name}: template error: {exc.message}", Location(source, line, rule_id))


def _unique(errors: list[RuleError]) -> list[RuleError]:
    """``errors`` without repeats (same kind, message and location), in order."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for error in errors:
        key = (type(error), error.message, error.location)
        if key not in seen:
            seen.add(key)
            out.append(error)
    return out


def _build(data: dict[str, Any], source: str, lines: Mapping[tuple[Any, ...], int], fail: Any, rule_id: Any, trusted: bool) -> Rule:
    match = data["match"]
    default_phases = frozenset(match.get("phases", ()))
    default_source = match.get("source")
    key = "all" if "all" in match else "any"
    patterns = []
    for index, item in enumerate(match[key]):
        spec = {"pattern": item} if isinstance(item, str) else item
        compiled = _compile(spec["pattern"], spec.get("ignore_case", False), fail, ("match", key, index), trusted)
        source_name = spec.get("source", default_source)
        patterns.append(
            Pattern(
                regex=compiled,
                source=TextSource(source_name) if source_name else None,
                phases=frozenset(spec.get("phases", ())) or default_phases,
                echo=spec.get("echo", False),
            )
        )
    exclusions = tuple(
        Exclusion(
            regex=_compile(spec["pattern"], spec.get("ignore_case", False), fail, ("match", "exclude", i), trusted),
            window=spec.get("window", 0),
        )
        for i, spec in enumerate(match.get("exclude", ()))
    )
    nearby = tuple(
        NearbyCapture(
            regex=_compile(spec["pattern"], spec.get("ignore_case", False), fail, ("match", "nearby", i), trusted),
            window=spec.get("window", 10),
            after=spec.get("after", False),
        )
        for i, spec in enumerate(match.get("nearby", ()))
    )
    templates: dict[str, Any] = {}
    for name in ("summary", "remediation"):
        if trusted:
            templates[name] = _LazyTemplate(data[name])
            continue
        import jinja2

        from analyzer.rules.templates import compile_template

        try:
            templates[name] = compile_template(data[name])
        except jinja2.TemplateSyntaxError as exc:
            raise _template_error(name, exc, source, lines, rule_id) from None

    return Rule(
        id=RuleId(data["id"]),
        title=data["title"],
        severity=Severity.parse(data["severity"]),
        category=data["category"],
        patterns=tuple(patterns),
        match_all=(key == "all"),
        summary=templates["summary"],
        remediation=templates["remediation"],
        priority=data.get("priority", 50),
        transient=data.get("transient", False),
        retry=data.get("retry", "").strip(),
        tags=tuple(data.get("tags", ())),
        exclusions=exclusions,
        nearby=nearby,
        references=tuple(Reference(r["title"], r["url"]) for r in data.get("references", ())),
        description=data.get("description", "").strip(),
        source_path=source,
        raw=data,
    )


def _compile(pattern: str, ignore_case: bool, fail: Any, path: tuple[Any, ...], trusted: bool = False) -> Any:
    flags = PATTERN_FLAGS | (regex.IGNORECASE if ignore_case else 0)
    if trusted:
        return LazyRegex(pattern, flags)
    try:
        return regex.compile(pattern, flags)
    except regex.error as exc:
        raise fail(f"pattern does not compile: {exc}: {pattern!r}", path, RulePatternError) from None
    except (KeyError, ValueError):  # regex's error for (?V1) against VERSION0 (KeyError before 2025)
        raise fail(
            f"pattern does not compile: rule patterns use regex's VERSION0 syntax, so the inline flag (?V1) "
            f"is not supported (full case folding is (?f)): {pattern!r}",
            path,
            RulePatternError,
        ) from None


class LazyRegex:
    """A pattern of a cached (already checked) rule, compiled on first use.

    Compiling the pack's few hundred patterns costs about 200 ms, most of a start; with
    the prefilter most patterns never run on a given log. ``pattern`` and ``flags`` are the
    text and flags given (inline flags such as ``(?i)`` stay in the text); every other
    attribute (``search``, ``groupindex``...) is the compiled ``regex.Pattern``'s.
    """

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: Any = None

    def compiled(self) -> Any:
        """The ``regex.Pattern`` (compiled once; a race compiles it twice, harmlessly)."""
        if self._compiled is None:
            self._compiled = regex.compile(self.pattern, self.flags)
        return self._compiled

    def search(self, *args: Any, **kwargs: Any) -> Any:
        """``regex.Pattern.search``."""
        return self.compiled().search(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled(), name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyRegex):
            return (self.pattern, self.flags) == (other.pattern, other.flags)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __repr__(self) -> str:
        return f"LazyRegex({self.pattern!r})"


class _LazyTemplate:
    """A template of a cached (already checked) rule, compiled when first rendered."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._render: Any = None

    def __call__(self, variables: Mapping[str, Any]) -> str:
        if self._render is None:
            from analyzer.rules.templates import compile_template

            self._render = compile_template(self.text)
        return self._render(variables)


def _schema_message(error: Any) -> str:
    # Only the offending key is quoted, never the file's content: a rule "file" may be anything
    # (a symlink to /etc/shadow printed every user in the unknown-keys list).
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        unknown = [k for k in error.instance if k not in error.schema.get("properties", {})]
        first = str(unknown[0]) if unknown else "?"
        first = first if len(first) <= 40 else first[:37] + "..."
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        return f"unknown key {first!r}{more}"
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"expected {' or '.join(kinds)}, got {type(error.instance).__name__}"
    if error.validator == "oneOf" and list(error.absolute_path)[-1:] == ["match"]:
        return "match needs exactly one of 'any' or 'all'"
    return error.message


RULE_CACHE_VERSION = "1"
"""Bump when what is cached for a rule file changes."""


@lru_cache(maxsize=1)
def _rule_cache_version() -> str:
    """What a cached rule depends on besides its file: versions, the loader's code, the schema."""
    from analyzer._version import __version__
    from analyzer.rules.compiled import code_fingerprint

    code = code_fingerprint("analyzer.rules.loader", "analyzer.rules.templates", "analyzer.models")
    schema = hashlib.sha256(json.dumps(rule_schema(), sort_keys=True).encode()).hexdigest()[:16]
    return f"{RULE_CACHE_VERSION}|{__version__}|{regex.__version__}|{code}|{schema}\n"


def _rule_cache_path(content: bytes) -> Path | None:
    """Where the checked, parsed form of a rule file with ``content`` is cached (``None``: no cache)."""
    if os.environ.get("CODEBUILD_DOCTOR_NO_RULE_CACHE"):
        return None
    from analyzer.rules.compiled import cache_dir

    key = hashlib.sha256(_rule_cache_version().encode() + content)
    return cache_dir() / "rules" / f"{key.hexdigest()}.json"


def load_rule_file(path: Path) -> Rule:
    """Read and compile one rule file; raises :class:`RuleError` naming the file and line.

    A file whose exact content passed every check before is read from the compiled-rule
    cache (parsed data and line map, JSON) instead of being parsed and validated again;
    a cache entry that cannot be read is ignored and rewritten.
    """
    try:
        if path.stat().st_size > MAX_RULE_FILE_BYTES:
            raise RuleFileError(f"rule file is larger than {MAX_RULE_FILE_BYTES // 1024} KiB: refused", Location(str(path)))
        content = path.read_bytes()
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleFileError(f"cannot read rule file: not UTF-8 (byte {exc.start})", Location(str(path))) from None
    except OSError as exc:
        raise RuleFileError(f"cannot read rule file: {exc.strerror or exc}", Location(str(path))) from None
    cached = _rule_cache_path(content)
    if cached is not None:
        try:
            from analyzer.rules.compiled import trusted_file

            if not trusted_file(cached):  # its data is believed without the checks below
                raise OSError("missing, or not only this user's")
            entry = json.loads(cached.read_bytes())
            lines = {tuple(key): line for key, line in entry["lines"]}
            return rule_from_dict(entry["data"], str(path), lines, trusted=True)
        except Exception:  # noqa: BLE001 - missing or corrupt: parse and check the file below
            pass
    data, lines = parse_yaml(text, str(path))
    rule = rule_from_dict(data, str(path), lines)
    if cached is not None:
        try:
            payload = json.dumps({"data": data, "lines": [[list(k), v] for k, v in lines.items()]})
            if json.loads(payload)["data"] != data:
                raise ValueError("the rule's data does not survive JSON")  # e.g. integer keys
            from analyzer.rules.compiled import write_private

            write_private(cached, payload.encode("utf-8"))
        except (OSError, TypeError, ValueError):
            pass  # data JSON cannot hold (dates...) or an unwritable cache: parse next time
    return rule


@dataclass(frozen=True)
class RulePack:
    """A loaded set of rules keyed by id, plus the errors met when collecting them."""

    rules: tuple[Rule, ...]
    errors: tuple[RuleError, ...] = ()
    replaced: tuple[str, ...] = field(default=())
    """Ids of shipped rules that a ``--rules-dir`` rule replaced."""
    conflicts: tuple[str, ...] = field(default=())
    """Messages for ids that two extra directories both define (the later one wins)."""

    def get(self, rule_id: str) -> Rule:
        """The rule with ``rule_id``; raises ``KeyError`` with the known ids' count."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"no rule with id {rule_id!r} ({len(self.rules)} rules loaded)")


def rule_files(directory: Path) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files below ``directory``, sorted (see :func:`check_rule_file`)."""
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and (p.is_file() or p.is_symlink()))


def check_rule_file(path: Path, directory: Path) -> None:
    """Raise :class:`RuleError` unless ``path`` is a regular file inside ``directory``.

    A symbolic link is followed only to a regular file inside the directory: one to
    ``/etc/shadow`` (or to a FIFO, or a device) is refused without being read.
    """
    try:
        target = path.resolve(strict=True)
        inside = target.is_relative_to(directory.resolve(strict=True))
    except (OSError, RuntimeError):
        raise RuleFileError("rule file cannot be resolved (a broken or looping link): refused", Location(str(path))) from None
    if not inside:
        raise RuleFileError(f"rule file is a link to a file outside {directory}: refused", Location(str(path)))
    import stat

    if not stat.S_ISREG(target.stat().st_mode):
        raise RuleFileError("rule file is not a regular file: refused", Location(str(path)))


def load_rules(
    extra_dirs: Iterable[Path] = (), *, include_default: bool = True, collect_errors: bool = False
) -> RulePack:
    """Load the shipped pack (unless ``include_default`` is false), then each extra directory.

    A rule in a later directory with the id of an earlier one replaces it (that is how a
    team overrides a shipped rule); two rules with one id in the same directory are an
    error. With ``collect_errors`` every error is gathered in :attr:`RulePack.errors`
    instead of raising the first (for ``rules lint``).
    """
    directories = ([default_rules_dir()] if include_default else []) + [Path(d) for d in extra_dirs]
    by_id: dict[str, Rule] = {}
    replaced: list[str] = []
    conflicts: list[str] = []
    errors: list[RuleError] = []
    from_extra: set[str] = set()  # ids last defined by a --rules-dir (not the shipped pack)
    for position, directory in enumerate(directories):
        extra = position > 0 or not include_default
        if not directory.is_dir():
            error = RuleError(f"rules directory not found: {directory}")
            if not collect_errors:
                raise error
            errors.append(error)
            continue
        seen_here: dict[str, str] = {}
        for path in rule_files(directory):
            try:
                check_rule_file(path, directory)
                rule = load_rule_file(path)
                if rule.id in seen_here:
                    raise RuleError(
                        f"duplicate rule id {rule.id!r} (also in {seen_here[rule.id]})",
                        Location(str(path), 1, rule.id),
                    )
            except RuleError as error:
                if not collect_errors:
                    raise
                errors.append(error)
                continue
            seen_here[rule.id] = str(path)
            if rule.id in by_id:
                replaced.append(rule.id)
                if rule.id in from_extra:
                    conflicts.append(f"rule {rule.id!r} in {path} replaces the one in {by_id[rule.id].source_path}")
            if extra:
                from_extra.add(rule.id)
            by_id[rule.id] = rule
    return RulePack(tuple(by_id.values()), tuple(errors), tuple(replaced), tuple(conflicts))
