"""The one path from a result to a written report: redact, build the view, render, write whole.

The CLI (``diagnose``, ``scan``), the demo and any other caller (the event
handler, an agent) go through :func:`present` and :func:`write_whole`; none has
its own redaction, dispatch or writing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from analyzer.errors import ConfigError, OutputError
from analyzer.models import Diagnosis, ScanReport
from analyzer.report.interface import DEFAULT_WIDTH, Format, RenderOptions
from analyzer.report.view import diagnosis_view, scan_view


def present(
    subject: Diagnosis | ScanReport,
    output_format: Format,
    options: RenderOptions | None = None,
    *,
    redact: bool = True,
) -> str:
    """The whole report of a diagnosis or a scan in ``output_format``; secrets masked unless ``redact`` is off."""
    renderer = output_format.renderer(options)
    if isinstance(subject, ScanReport):
        if redact:
            from analyzer.redact import redact_scan

            subject = redact_scan(subject)
        return renderer.render_scan(scan_view(subject))
    if redact:
        from analyzer.redact import redact_diagnosis

        subject = redact_diagnosis(subject)
    return renderer.render_diagnosis(diagnosis_view(subject))


def terminal_options(
    stream: TextIO,
    output: Path | str | None = None,
    *,
    no_color: bool = False,
    wide: bool = False,
    environ: Mapping[str, str] | None = None,
) -> RenderOptions:
    """Width and colour for a report written to ``stream`` (or to the file ``output``).

    Colour: never with ``--no-color`` or ``NO_COLOR`` (https://no-color.org) or into a
    file; always with ``FORCE_COLOR`` (https://force-color.org); else when ``stream``
    is a terminal. Width: a terminal's own (``COLUMNS`` wins, as everywhere); a pipe
    or a file gets ``COLUMNS`` when set, else :data:`DEFAULT_WIDTH`, so the text is
    the same for grep and diff whatever the window's size.
    """
    environ = os.environ if environ is None else environ
    tty = not to_file(output) and hasattr(stream, "isatty") and stream.isatty()
    color = (
        not to_file(output)
        and not no_color
        and not environ.get("NO_COLOR")
        and (bool(environ.get("FORCE_COLOR")) or tty)
    )
    width = DEFAULT_WIDTH
    columns = environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        width = int(columns)
    elif tty:
        width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return RenderOptions(width=max(width, 20), color=color, wide=wide)


def to_file(output: Path | str | None) -> bool:
    """Whether ``--output`` names a file (``-`` and no value mean standard output)."""
    return output is not None and str(output) != "-"


def write_whole(report: str, output: Path | str | None, stdout: TextIO) -> None:
    """Write the report whole or not at all: a temporary file beside the target, then a rename.

    ``None`` or ``-`` is ``stdout``. A bad ``output`` (empty, a directory, in a missing
    directory) is a :class:`ConfigError` (exit 2); a refused write (permission denied, disk
    full) an :class:`OutputError` (exit 4), the target left as it was. The file gets the mode a plain ``>`` would give it
    (the umask's, or an existing file's own), and a symbolic link is followed, not replaced.
    """
    if not to_file(output):
        stdout.write(report)
        stdout.flush()
        return
    assert output is not None
    output = Path(output)
    if not str(output).strip():
        raise ConfigError("--output: empty file name")
    target = Path(os.path.realpath(output))
    if target.is_dir():
        raise ConfigError(f"--output: {output} is a directory")
    directory = target.parent
    if not directory.is_dir():
        raise ConfigError(f"--output: directory does not exist: {output.parent}")
    if target.exists() and not target.is_file():
        # A device or a pipe (/dev/null, a FIFO) is written to, never replaced by a file:
        # a rename onto /dev/null, run as root in a build container, would destroy it.
        try:
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(report)
        except OSError as exc:
            raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from exc
        return
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    except OSError:
        mode = 0o644
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(report)
            os.chmod(temp, mode)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"--output: cannot write {output}: {exc.strerror or exc}; nothing was written") from None
