"""The rule catalogue (``docs/rules.md``), generated from the rule files.

:func:`render_catalogue` is pure and deterministic (rules sorted by category, then id; no
dates, no paths), so ``codebuild-doctor rules docs --output docs/rules.md --check`` can tell
whether the committed file is up to date, and a test runs that check in CI.
"""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.models import Rule

DOCS_COMMAND = "codebuild-doctor rules docs --output docs/rules.md"
"""The command that regenerates the shipped catalogue (named in the file and by ``--check``)."""


def _cell(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def render_catalogue(rules: Iterable[Rule], command: str = DOCS_COMMAND) -> str:
    """The Markdown catalogue of ``rules``: an index table per category, then one section per rule.

    Each rule's section starts with an HTML anchor named after its id (``rules.md#<id>``), and
    gives its title, severity, priority, tags, description (what the failure means) and the
    links to the fix (its references).
    """
    ordered = sorted(rules, key=lambda r: (r.category, r.id))
    categories = sorted({r.category for r in ordered})
    out = [
        "# Rule catalogue",
        "",
        f"<!-- Generated from the rule files by `{command}`; do not edit by hand. -->",
        "",
        f"{len(ordered)} rules in {len(categories)} categories. Findings are ranked by priority (0-100,"
        " a root cause above the symptoms it causes), then severity. Each rule is one YAML file under"
        " `rules/<category>/<id>.yaml`; see the README's \"Adding a rule\".",
        "",
        "Categories: " + ", ".join(f"[{c}](#category-{c})" for c in categories),
        "",
    ]
    for category in categories:
        in_category = [r for r in ordered if r.category == category]
        out += [
            f'<a id="category-{category}"></a>',
            "",
            f"## {category}",
            "",
            "| id | title | severity | priority |",
            "|---|---|---|---|",
        ]
        out += [f"| [`{r.id}`](#{r.id}) | {_cell(r.title)} | {r.severity.label} | {r.priority} |" for r in in_category]
        out.append("")
        for rule in in_category:
            out += _section(rule)
    return "\n".join(out).rstrip("\n") + "\n"


def _section(rule: Rule) -> list[str]:
    lines = [
        f'<a id="{rule.id}"></a>',
        "",
        f"### `{rule.id}`: {rule.title}",
        "",
        f"**Severity:** {rule.severity.label} · **Priority:** {rule.priority}"
        + (f" · **Tags:** {', '.join(f'`{t}`' for t in rule.tags)}" if rule.tags else "")
        + (" · **Transient:** a re-run may pass" if rule.transient else ""),
        "",
        " ".join(rule.description.split()) if rule.description else "_No description._",
        "",
    ]
    if rule.retry:
        lines += [f"Retrying: {' '.join(rule.retry.split())}", ""]
    if rule.references:
        lines.append("How to fix it:")
        lines.append("")
        lines += [f"- [{_cell(ref.title)}]({ref.url})" for ref in rule.references]
        lines.append("")
    return lines
