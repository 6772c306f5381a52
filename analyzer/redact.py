"""Mask secrets in everything a report shows that came from a log or a build record.

Reports are shared across teams, and build logs leak credentials: an
``Authorization`` header echoed by ``curl -v``, a token in a clone URL, an
access key in a stack trace. Redaction is done *by construction*: the engine
masks a line when it becomes evidence, context or an error-tail line, a capture
when it is taken (from the masked line, so a capture that holds part of a secret
holds part of the mask) and the build record before a rule's template sees it.
No template or filter (``truncate``, the Markdown-inert rewrite) can bring a
value back, because it never had it. :func:`redact_diagnosis` is a final pass
over a finished diagnosis (notes, skip reasons, stored diagnoses): it is
idempotent, since a mask is never taken for a secret.

A secret becomes ``[REDACTED:<kind>]``, so the reader knows what was there.
The catalogue is data: the regex detectors of Yelp's detect-secrets (a
maintained list of token formats, loaded from the installed package), plus the
shell spellings a build log has and detect-secrets does not look for
(:data:`SHELL_PATTERNS`): ``PGPASSWORD=``, ``mysql -p<pw>``, ``curl -u
user:pw``, ``_authToken=``, a token as a URL's user, the body of a PEM key by
its shape, and base64 of any of those.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

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

MASK_PREFIX = "[REDACTED"
"""Every mask starts so; the whole mask is ``[REDACTED:<kind>]``."""


def mask(kind: str) -> str:
    """The mask of one secret of ``kind`` (``aws-secret-key``, ``password``...)."""
    return f"[REDACTED:{kind}]"


MASK_RE = re.compile(r"\[REDACTED(?::[a-z0-9-]+)?\]")
"""A mask in text already redacted (never taken for a secret: redaction is idempotent)."""

_PW_NAME = (
    r"[A-Za-z0-9_.-]*(?:PASSWORD|PASSWD|PASSPHRASE|_PWD|SECRET|TOKEN|_AUTH|CREDENTIALS?"
    r"|(?:SECRET|ACCESS|PRIVATE|SIGNING|ENCRYPTION|MASTER|CLIENT|API)_?KEY)"
)
"""A variable name that holds a secret: ``PGPASSWORD``, ``MYSQL_PWD``, ``SECRET_KEY``, ``API_TOKEN``.
(Not ``PWD``, the working directory, nor ``BYPASS``.)"""

def _after_tool(tools: str, rest: str, *, subcommand: str = "") -> str:
    """A pattern for ``rest`` (an option and its secret) later on the line of one of ``tools``
    (a command word), after ``subcommand`` if one is given, scanning from each tool word only to
    the next one: linear on a long line."""
    until_next = rf"(?:(?!\b(?:{tools})\b)[^\n])*?"
    middle = rf"\b{subcommand}\b{until_next}" if subcommand else ""
    return rf"\b(?:{tools})\b{until_next}{middle}{rest}"


SHELL_PATTERNS: tuple[tuple[str, str, int], ...] = (
    # (kind, pattern, flags). The group named ``secret`` is masked when there is one, else the
    # whole match.
    # PEM private key blocks (also when a log shows only the first line of one).
    ("private-key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[^\n]*)", 0),
    # A line that is only a PEM body line (base64, 64 or 76 characters, mixed case and digits): the
    # rest of a private key whose BEGIN line is outside the excerpt.
    ("private-key", r"^\s*(?=[A-Za-z0-9+/]*[a-z])(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*\d)(?:[A-Za-z0-9+/]{64}|[A-Za-z0-9+/]{76})={0,2}\s*$", 0),
    # The body just before an END line on the same line (a key echoed with its newlines
    # turned into spaces, or its short last line when the BEGIN line is out of sight).
    # It starts only where a run of words starts (not inside a word, nor after a word and one
    # space), and takes the run possessively: tried from every word, it was quadratic on a long
    # line of words (an 80 KB line took 20 s).
    ("private-key", r"(?<![A-Za-z0-9+/])(?<![A-Za-z0-9+/][ \t])(?<![A-Za-z0-9+/]=[ \t])(?<![A-Za-z0-9+/]==[ \t])(?P<secret>[A-Za-z0-9+/]+={0,2}(?:[ \t]+[A-Za-z0-9+/]+={0,2})*+)[ \t]*-----END (?:[A-Z0-9]+ )*PRIVATE KEY", 0),
    # AWS access key ids (long-term AKIA, temporary ASIA, and other principal prefixes).
    ("aws-access-key-id", r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|ANPA|ANVA|AGPA|A3T[A-Z0-9])[A-Z0-9]{16}\b", 0),
    # AWS secret keys and session tokens given as key=value / key: value / JSON / arguments.
    ("aws-secret-key", r"\b(?:aws_?)?secret_?access_?key[\"']?\s*[:=]?\s*[\"']?(?P<secret>[A-Za-z0-9/+=]{16,})", re.I),
    ("aws-session-token", r"\b(?:aws_?)?(?:session|security)_?token[\"']?\s*[:=]?\s*[\"']?(?P<secret>[A-Za-z0-9/+=]{16,})", re.I),
    # Authorization headers: Bearer, Basic, token, AWS4-HMAC-SHA256 signatures...
    # (A scheme, or one long token: "may require authorization: server message: ..." is prose.)
    ("authorization", r"\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?P<secret>(?:bearer|basic|token|digest|aws4-hmac-sha256|negotiate|ntlm|oauth|bot|ssws|apikey|key|sharedkey|hmac|signature)\s+[^\s\"',]+[^\n\"']*|[A-Za-z0-9._~+/=-]{16,}(?![A-Za-z0-9._~+/=-]))", re.I),
    ("authorization", r"\b(?:x-api-key|private-token|x-auth-token|api-key|x-access-token)[\"']?\s*[:=]\s*[\"']?(?P<secret>[^\s\"',@]{6,})", re.I),
    # user:password@host in URLs, and a token as a URL's only user (https://ghp_...@github.com);
    # a short user (git@, ci@) is not a secret.
    # (The scheme starts where its run of scheme characters does: from every letter of a long
    # host name it was quadratic.)
    ("url-credentials", r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+://[^\s:/@]++:(?P<secret>[^\s@/]+)@", re.I),
    ("url-credentials", r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+://(?P<secret>(?=[^\s:/@]*\d)[^\s:/@]{16,})@", re.I),
    # GitHub tokens (classic and fine-grained), GitLab, npm, PyPI, Docker Hub, Slack, Google, Stripe.
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})\b", 0),
    ("gitlab-token", r"\bgl(?:pat|dt|rt|ptt|ft|imt|agent|oas|cbt|soat|ffct)-[A-Za-z0-9_-]{20,}", 0),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", 0),
    ("npm-token", r"_auth(?:Token)?[\"']?\s*[=:\s]\s*[\"']?(?P<secret>[^\s\"',;]{6,})", 0),
    ("pypi-token", r"\bpypi-[A-Za-z0-9_-]{50,}", 0),
    ("docker-hub-token", r"\bdckr_pat_[A-Za-z0-9_-]{20,}", 0),
    ("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", 0),
    ("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]+", re.I),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}", 0),
    ("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test|prod)_[0-9a-zA-Z]{10,99}\b", 0),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", 0),
    # NAME_PASSWORD=..., SECRET_KEY=..., API_TOKEN=... (an assignment is deliberate: any value).
    # A value that is a variable or a command substitution ($DB_PASSWORD, $(aws ...)) is no
    # secret; nor is the ``secret:`` of a Secrets Manager ARN. A name starts where its run of
    # name characters does (tried after every ``-`` of a long ``-----`` line, it was quadratic).
    # PowerShell's ``$env:NAME = 'x'`` too.
    ("password", rf"(?:(?<![A-Za-z0-9_.:/-])|(?<=\$env:))(?:{_PW_NAME})[\"']?\s*=\s*(?!\$|arn:)(?P<secret>\"[^\"\n]+\"|'[^'\n]+'|[^\s\"',;&|)]{{3,}})", re.I),
    # "password": "...", token: ... (prose uses colons too: the value must look like a secret,
    # with a digit or symbol in it, or be 20+ characters long).
    # The name is the keyword alone or after a separator (``DB_PASSWORD``, ``"token"``), not a
    # CamelCase word (CloudFormation's ``RequestToken: 5f3c...`` is no secret).
    ("password", rf"(?<![A-Za-z0-9_.:/-])(?:[A-Za-z0-9]*[_.-])*(?:{_PW_NAME.replace('[A-Za-z0-9_.-]*', '')})[\"']?\s*:\s*[\"']?(?!\$|arn:)(?P<secret>(?=[^\s\"',;&]*[\d_+/=!@#$%^*-])[^\s\"',;&]{{6,}}|[^\s\"',;&]{{20,}})", re.I),
    # --password x, --token x, --api-key x, --secret x, -p=x (docker login, twine, helm...).
    ("password", r"(?<![\w-])--(?:password|passwd|token|api-key|apikey|secret|auth-token|access-token|client-secret)(?:=|\s+)(?!-)(?P<secret>[^\s\"']+|\"[^\"\n]*\"|'[^'\n]*')", re.I),
    # (Each tool word's scan for its -p stops at the next tool word: from every one to the
    # end of a long line of them it was quadratic.)
    # Only after ``login``: ``docker run -p 8080:80`` publishes a port.
    ("password", _after_tool("docker|podman|helm|oras|buildah|skopeo|nerdctl|finch|az", r"\s-p(?:=|\s+)(?!-)(?P<secret>[^\s\"']+)", subcommand="login"), 0),
    ("password", _after_tool("twine", r"\s-p(?:=|\s+)(?!-)(?P<secret>[^\s\"']+)"), 0),
    # mysql -pSECRET, mysqldump -p'x', mariadb --password=... (the value sticks to -p).
    ("password", _after_tool("mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlimport|mysqlsh", r"\s-p(?P<secret>[^\s\"']+|\"[^\"\n]*\"|'[^'\n]*')"), 0),
    # curl -u user:pass, curl --user user:pass, wget --http-password etc.
    ("basic-auth", _after_tool("curl|wget|http|https|xh", r"(?:\s-u\s*|\s--user(?:=|\s+))[\"']?[^\s:\"']*:(?P<secret>[^\s\"']+)"), 0),
    ("password", r"--(?:http-|ftp-|proxy-)?password(?:=|\s+)(?P<secret>[^\s\"']+)", 0),
    # sshpass -p x, PGPASSWORD/MYSQL_PWD handled above.
    ("password", r"\bsshpass\s+-p\s*(?P<secret>[^\s\"']+)", 0),
    # PowerShell: -ApiKey x (nuget push), -Password 'x', -Token x; a $variable or (expression) is none.
    ("password", r"(?<![\w-])-(?:ApiKey|NuGetApiKey|Password|Token|AccessToken|PersonalAccessToken|ClientSecret|Secret)(?::|\s+)(?![-$(])(?P<secret>'[^'\n]+'|\"[^\"\n]+\"|[^\s\"'`]+)", re.I),
    # ConvertTo-SecureString 'x' -AsPlainText, [Environment]::SetEnvironmentVariable("DB_PASSWORD", "x").
    ("password", r"ConvertTo-SecureString\s+(?:-String\s+)?(?P<secret>'[^'\n]+'|\"[^\"\n]+\"|[^\s\"'$(-][^\s\"']*)", re.I),
    ("password", rf"SetEnvironmentVariable\(\s*[\"'](?:{_PW_NAME})[\"']\s*,\s*(?P<secret>\"[^\"\n]+\"|'[^'\n]+')", re.I),
)

# detect-secrets detectors left out, and why: keyword and entropy detectors guess from context
# and would mask ordinary log words (ours above spell the keyword cases out); a public IP is
# diagnosis, not a secret; Artifactory's password shape (AP + hex + 8 letters) is a CamelCase
# word in a Java stack trace (APDUException); Twilio's account SID shape is any hex after "AC".
_SKIPPED_DETECTORS = frozenset(
    {
        "KeywordDetector",
        "Base64HighEntropyString",
        "HexHighEntropyString",
        "IPPublicDetector",
        "ArtifactoryDetector",
        "TwilioKeyDetector",
        # Its ``//.+/:_authToken=`` backtracks from every ``//`` of a long line (quadratic:
        # benchmarks/redaction_worst_case.py); ours masks every ``_authToken`` value anyway.
        "NpmDetector",
    }
)


class Secret(NamedTuple):
    """A secret found in a text: where it is and what kind it is."""

    start: int
    end: int
    kind: str


class _Pattern(NamedTuple):
    kind: str
    regex: re.Pattern[str]
    group: str | int
    needles: tuple[str, ...] = ()
    """Lower-cased literals of which every match holds one: a pattern is tried on an ASCII text
    only if its lower-cased form holds one of them (empty: always tried). Most log lines hold
    none of any pattern's, which makes redaction cheap."""


_CATALOGUE: list[_Pattern] | None = None
_LOADING = threading.Lock()
_CATALOGUE_FILE = "redact-catalogue.json"
_CATALOGUE_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _detect_secrets_patterns() -> list[tuple[str, re.Pattern[str], str | int]] | None:
    """The regex detectors of detect-secrets, as (kind, regex, group) data; ``None`` when it
    cannot be imported (a declared dependency: the shell patterns still apply, for this run)."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    except ImportError:
        return None
    found: list[tuple[str, re.Pattern[str], str | int]] = []
    for secret_type, plugin in sorted(get_mapping_from_secret_type_to_class().items()):
        if plugin.__name__ in _SKIPPED_DETECTORS:
            continue
        for pattern in getattr(plugin, "denylist", ()) or ():
            if not isinstance(pattern, re.Pattern):
                continue
            found.append((_slug(secret_type), pattern, 1 if pattern.groups == 1 else 0))
    return found


def _build_catalogue() -> tuple[list[_Pattern], bool]:
    """Ours first, then detect-secrets', each with the literals one of which every match holds;
    and whether detect-secrets' are in it (a catalogue without them is never cached)."""
    from analyzer.engine.prefilter import plan_pattern

    found: list[tuple[str, re.Pattern[str], str | int]] = [
        (kind, re.compile(p, flags | re.M), "secret" if "(?P<secret>" in p else 0) for kind, p, flags in SHELL_PATTERNS
    ]
    detectors = _detect_secrets_patterns()
    found += detectors or []
    return [
        _Pattern(kind, regex, group, tuple(x.decode() for x in plan_pattern(regex.pattern, regex.flags & _CATALOGUE_FLAGS).literals))
        for kind, regex, group in found
    ], detectors is not None


def _catalogue_key() -> str:
    """What the cached catalogue was made from: this module's and the literal finder's code, and
    the installed detect-secrets (its detectors are read from the package)."""
    from importlib import metadata

    from analyzer.rules.compiled import code_fingerprint

    try:
        detect_secrets = metadata.version("detect-secrets")
    except metadata.PackageNotFoundError:  # pragma: no cover - a declared dependency
        detect_secrets = "none"
    return f"{code_fingerprint('analyzer.redact', 'analyzer.engine.prefilter')}|detect-secrets {detect_secrets}"


def _load_catalogue() -> list[_Pattern]:
    """The catalogue from the cache directory, else built (importing detect-secrets and finding
    each pattern's literals costs ~150 ms a start) and stored. A cache that cannot be read is
    rebuilt; one that cannot be written only costs the build."""
    import json

    from analyzer.cachedir import default_cache_dir
    from analyzer.rules.compiled import trusted_file, write_private

    path = default_cache_dir() / _CATALOGUE_FILE
    key = _catalogue_key()
    try:
        if trusted_file(path):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("key") == key and len(data["patterns"]) > len(SHELL_PATTERNS):
                return [
                    _Pattern(str(kind), re.compile(pattern, flags), group, tuple(map(str, needles)))
                    for kind, pattern, flags, group, needles in data["patterns"]
                ]
    except (OSError, ValueError, TypeError, KeyError, AttributeError, re.error):
        pass  # not this code's catalogue, or not one at all: built again
    built, complete = _build_catalogue()
    if not complete:
        return built
    entries = [[p.kind, p.regex.pattern, p.regex.flags & _CATALOGUE_FLAGS, p.group, list(p.needles)] for p in built]
    try:
        write_private(path, json.dumps({"key": key, "patterns": entries}).encode())
    except OSError:
        pass
    return built


class _Screen(NamedTuple):
    always: tuple[int, ...]
    """Patterns with no required literal: always tried."""
    needles: tuple[tuple[str, tuple[int, ...]], ...]
    """Each literal and the patterns one of whose literals it is."""


_SCREEN: tuple[list[_Pattern], _Screen] | None = None
"""The screen of the catalogue it was made from."""


def _screen(text: str) -> Iterable[_Pattern]:
    """The patterns that may match ``text``, in catalogue order: those with no literal, and
    those one of whose literals the text holds, ASCII letters lower-cased (as the literals are).
    Under IGNORECASE only four non-ASCII characters match ASCII letters (İ, ı, ſ and the Kelvin
    sign, :data:`~analyzer.engine.prefilter.FOLDS_TO_ASCII`): a text holding one is tried with
    every pattern. (Trying every non-ASCII line with every pattern ran the PEM pattern on each:
    quadratic on a long line.)"""
    global _SCREEN
    from analyzer.engine.prefilter import FOLDS_TO_ASCII  # loaded with the catalogue's literals: no cost here

    patterns = catalogue()
    if text.isascii():
        lowered = text.lower()
    elif any(char in text for char in FOLDS_TO_ASCII):  # ``re`` folds the same four as ``regex`` (tested)
        return patterns
    else:
        lowered = text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
    if _SCREEN is None or _SCREEN[0] is not patterns:
        by_needle: dict[str, list[int]] = {}
        for index, pattern in enumerate(patterns):
            for needle in pattern.needles:
                by_needle.setdefault(needle, []).append(index)
        always = tuple(i for i, p in enumerate(patterns) if not p.needles)
        _SCREEN = patterns, _Screen(always, tuple((n, tuple(ids)) for n, ids in by_needle.items()))
    screen = _SCREEN[1]
    chosen = set(screen.always)
    for needle, ids in screen.needles:
        if needle in lowered:
            chosen.update(ids)
    return [patterns[i] for i in sorted(chosen)]


def catalogue() -> list[_Pattern]:
    """Every secret pattern (ours first, then detect-secrets'), loaded once per process."""
    global _CATALOGUE
    if _CATALOGUE is None:
        with _LOADING:
            if _CATALOGUE is None:
                _CATALOGUE = _load_catalogue()
    return _CATALOGUE


_TRIM = " \t\"'=:,;"
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=_-])")


def find_secrets(text: str, *, decode: bool = True) -> list[Secret]:
    """The secrets in ``text``, sorted and merged (overlapping finds become one)."""
    if not text:
        return []
    spans: list[Secret] = []
    masks = [(m.start(), m.end()) for m in MASK_RE.finditer(text)] if MASK_PREFIX in text else []
    for pattern in _screen(text):
        for match in pattern.regex.finditer(text):
            start, end = match.span(pattern.group)
            if start < 0 or start == end:
                continue
            if pattern.group == 0:  # detect-secrets' whole matches carry their delimiters
                value = match.group(0)
                start += len(value) - len(value.lstrip(_TRIM))
                end -= len(value) - len(value.rstrip(_TRIM))
                if start >= end:
                    continue
            if _only_masks(text, start, end, masks):
                continue
            spans.append(Secret(start, end, pattern.kind))
    if decode:
        spans.extend(_base64_secrets(text))
    return _merge(spans)


def _only_masks(text: str, start: int, end: int, masks: Sequence[tuple[int, int]]) -> bool:
    """Whether ``text[start:end]`` is masks (and quotes/spaces) only: already redacted."""
    if not masks:
        return False
    rest = text[start:end]
    return not MASK_RE.sub("", rest).strip(_TRIM + "[]()")


def _base64_secrets(text: str) -> Iterable[Secret]:
    """Base64 tokens whose decoded text holds a secret (``echo QUtJQ... | base64 -d``)."""
    for match in _BASE64.finditer(text):
        token = match.group(0)
        try:
            decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if not decoded.isprintable() and not decoded.strip().isprintable():
            continue
        inner = find_secrets(decoded, decode=False)
        if inner:
            yield Secret(match.start(), match.end(), "base64-" + inner[0].kind)


def _merge(spans: list[Secret]) -> list[Secret]:
    merged: list[Secret] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                merged[-1] = Secret(last.start, span.end, last.kind)
            continue
        merged.append(span)
    return merged


def redact_text(text: str) -> str:
    """``text`` with every secret replaced by ``[REDACTED:<kind>]``."""
    if not text:
        return text
    return redact_span(text, 0, len(text), find_secrets(text))


def redact_span(text: str, start: int, end: int, secrets: Sequence[Secret]) -> str:
    """``text[start:end]`` with the ``secrets`` found in the whole ``text`` masked.

    A secret that only partly lies inside the span is masked all the same, so a capture
    that holds the first half of a token holds a mask, not half the token.
    """
    out: list[str] = []
    pos = start
    for secret in secrets:
        if secret.end <= start or secret.start >= end:
            continue
        if secret.start > pos:
            out.append(text[pos : secret.start])
        out.append(mask(secret.kind))
        pos = max(pos, secret.end)
    if pos < end:
        out.append(text[pos:end])
    return "".join(out)


def redact_match(text: str, start: int, end: int) -> tuple[str, int, int, list[Secret]]:
    """``text`` redacted, with the span ``[start, end)`` mapped onto the redacted text.

    Returns the redacted text, the new ``start`` and ``end`` (a boundary inside a secret
    moves to the edge of its mask, outward) and the secrets found, so captures from the
    same match can be cut from the same finds with :func:`redact_span`.
    """
    secrets = find_secrets(text)
    if not secrets:
        return text, start, end, secrets
    out: list[str] = []
    pos = 0
    new_start, new_end = start, end
    shift = 0
    for secret in secrets:
        out.append(text[pos : secret.start])
        token = mask(secret.kind)
        if start >= secret.end:
            new_start = start + shift + len(token) - (secret.end - secret.start)
        elif start > secret.start:
            new_start = secret.start + shift
        if end >= secret.end:
            new_end = end + shift + len(token) - (secret.end - secret.start)
        elif end > secret.start:
            new_end = secret.start + shift + len(token)
        out.append(token)
        shift += len(token) - (secret.end - secret.start)
        pos = secret.end
    out.append(text[pos:])
    return "".join(out), new_start, new_end, secrets


_KEY_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
KEY_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
"""A private key's END marker (the matcher keeps a long line up to it, so the body before it is masked)."""
_KEY_BODY = re.compile(r"^\s*[A-Za-z0-9+/]+={0,2}\s*$")


def redact_lines(lines: Sequence[str]) -> list[str]:
    """Consecutive log lines redacted, including every line inside a private key block.

    A PEM block spans lines, and each line is matched alone by :func:`redact_text`; this
    masks the lines between a ``BEGIN ... PRIVATE KEY`` line and its ``END`` line too, and
    the body lines just above an ``END`` line whose ``BEGIN`` is out of sight (the short
    last line of a key has no shape of its own).
    """
    out: list[str] = []
    inside = False
    key = mask("private-key")
    for line in lines:
        if inside:
            if KEY_END.search(line):
                inside = False
            out.append(key)
            continue
        if KEY_END.search(line):
            back = len(out) - 1
            while back >= 0 and out[back] != key and _KEY_BODY.match(out[back]):
                out[back] = key
                back -= 1
        redacted = redact_text(line)
        if _KEY_BEGIN.search(line) and not KEY_END.search(line):
            inside = True
        out.append(redacted)
    return out


def redact_context(lines: Sequence[ContextLine]) -> tuple[ContextLine, ...]:
    """Context lines redacted as one run (see :func:`redact_lines`)."""
    texts = redact_lines([c.text for c in lines])
    return tuple(ContextLine(c.line_number, t) for c, t in zip(lines, texts))


def _redact_evidence(evidence: Evidence) -> Evidence:
    lines = redact_lines([c.text for c in evidence.before] + [evidence.text] + [c.text for c in evidence.after])
    before = lines[: len(evidence.before)]
    after = lines[len(evidence.before) + 1 :]
    text, start, end = evidence.text, evidence.match_start, evidence.match_end
    if lines[len(evidence.before)] != text:
        if lines[len(evidence.before)] == mask("private-key"):
            text, start, end = mask("private-key"), 0, 0
        else:
            text, start, end, _ = redact_match(text, start, end)
    return dataclasses.replace(
        evidence,
        text=text,
        match_start=start,
        match_end=end,
        before=tuple(ContextLine(c.line_number, t) for c, t in zip(evidence.before, before)),
        after=tuple(ContextLine(c.line_number, t) for c, t in zip(evidence.after, after)),
    )


def redact_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping with every string value redacted (captures, a record's fields for a template)."""
    return {key: redact_text(value) if isinstance(value, str) else value for key, value in values.items()}


def redact_finding(finding: Finding, build: Build | None = None) -> Finding:
    """A copy of ``finding`` with its evidence and captures redacted.

    The engine has already redacted what it made (see the module's docstring); this pass is
    for findings from elsewhere (a stored diagnosis). The summary and remediation are the
    rule's own text with values put in: only those values (the captures, and the build
    record's fields) are redacted there. Redacting the whole text turned a rule's advice,
    such as ``DOCKERHUB_TOKEN: /CodeBuild/dockerhub/token`` in a buildspec snippet, into a mask.
    """
    values = list(finding.captures.values())
    if build is not None:
        values += [v for v in build.to_dict().values() if isinstance(v, str)]
    swaps = {value: redact_text(value) for value in values if value and redact_text(value) != value}
    return dataclasses.replace(
        finding,
        evidence=tuple(_redact_evidence(e) for e in finding.evidence),
        captures=redact_values(finding.captures),
        role_reason=redact_text(finding.role_reason),
        summary=_swap(finding.summary, swaps),
        remediation=_swap(finding.remediation, swaps),
    )


def redact_located(findings: Iterable[Finding], rule_ids: Iterable[str]) -> list[Finding]:
    """Findings with their evidence redacted; a finding no rule made (the failure locator's)
    has its summary, captures and remediation redacted whole (it is made of log text)."""
    known = set(rule_ids)
    out = []
    for finding in findings:
        finding = dataclasses.replace(
            finding,
            evidence=tuple(_redact_evidence(e) for e in finding.evidence),
            role_reason=redact_text(finding.role_reason),  # it quotes the failed command
        )
        if finding.rule_id not in known:
            finding = dataclasses.replace(
                finding,
                summary=redact_text(finding.summary),
                remediation=redact_text(finding.remediation),
                captures=redact_values(finding.captures),
            )
        out.append(finding)
    return out


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
        tail=redact_context(diagnosis.tail),
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
        image=optional(build.image),
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
