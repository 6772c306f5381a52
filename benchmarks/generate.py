"""Generate a realistic CodeBuild log of a given size (deterministic for a seed).

Agent lines with phases, npm / maven / docker / pip output, ANSI colours, ``\\r``
progress redraws, some 50 KB minified lines, a little non-ASCII, and a few planted
failures (lines from the positive fixtures) spread through the log. Written in
large batches, so a 1 GB log takes seconds, not minutes::

    python benchmarks/generate.py /tmp/build.log 100M
"""

from __future__ import annotations

import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHASES = ["DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZE"]
RED, GREEN, YELLOW, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1m", "\x1b[0m"


def agent(text: str, rnd: random.Random) -> str:
    return f"[Container] 2025/03/08 23:{rnd.randrange(60):02d}:{rnd.randrange(60):02d}.{rnd.randrange(10**6):06d} {text}"


def _noise(rnd: random.Random) -> str:
    pkg = rnd.choice(["react", "lodash", "@aws-sdk/client-s3", "webpack", "typescript", "jest", "eslint", "axios"])
    ver = f"{rnd.randrange(1, 20)}.{rnd.randrange(30)}.{rnd.randrange(30)}"
    kind = rnd.randrange(16)
    if kind == 0:
        return f"npm {YELLOW}WARN{RESET} deprecated {pkg}@{ver}: this library is no longer supported"
    if kind == 1:
        return f"[{BOLD}INFO{RESET}] Downloading from central: https://repo.maven.apache.org/maven2/org/{pkg}/{ver}/{pkg}-{ver}.jar"
    if kind == 2:
        return f"[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/apache/{pkg}/{ver}/{pkg}.pom ({rnd.randrange(1, 900)} kB at {rnd.randrange(1, 90)} MB/s)"
    if kind == 3:
        return f"#{rnd.randrange(1, 30)} [{rnd.randrange(1, 9)}/{rnd.randrange(9, 14)}] RUN npm ci --omit=dev"
    if kind == 4:
        layer = "".join(rnd.choice("0123456789abcdef") for _ in range(12))
        return "\r".join(f"{layer}: Downloading [{'=' * i}>{' ' * (20 - i)}] {i * 5}MB/100MB" for i in range(0, 21, 4)) + f"\r{layer}: Pull complete"
    if kind == 5:
        return f"Collecting {pkg}=={ver}\r  Downloading {pkg}-{ver}-py3-none-any.whl ({rnd.randrange(10, 900)} kB)"
    if kind == 6:
        return f"  {GREEN}✓{RESET} {pkg} renders without crashing ({rnd.randrange(1, 90)} ms)"
    if kind == 7:
        return f"  PASS  src/{pkg}/index.test.ts ({rnd.randrange(1, 9)}.{rnd.randrange(100)} s)"
    if kind == 8:
        return f"Step {rnd.randrange(1, 20)}/20 : COPY . /app"
    if kind == 9:
        return f" ---> Running in {''.join(rnd.choice('0123456789abcdef') for _ in range(12))}"
    if kind == 10:
        return f"added {rnd.randrange(100, 2000)} packages, and audited {rnd.randrange(100, 2000)} packages in {rnd.randrange(2, 90)}s"
    if kind == 11:
        return f"[INFO] --- maven-compiler-plugin:3.11.0:compile (default-compile) @ {pkg} ---"
    if kind == 12:
        return f"{BOLD}webpack{RESET} compiled {GREEN}successfully{RESET} in {rnd.randrange(100, 9000)} ms"
    if kind == 13:
        return f"Résumé des tests: {rnd.randrange(100)} réussis — durée {rnd.randrange(9)} s"
    if kind == 14:
        return f"    at Object.<anonymous> (/codebuild/output/src123/src/{pkg}/index.js:{rnd.randrange(1, 900)}:{rnd.randrange(1, 90)})"
    return f"+ echo building {pkg} {ver}"


def _planted() -> list[str]:
    lines = []
    for path in sorted((ROOT / "fixtures" / "logs").glob("*/positive-*.log")):
        for raw in path.read_bytes().splitlines():
            text = raw.decode("utf-8", "replace")
            if 20 < len(text) < 400 and not text.startswith("[Container]"):
                lines.append(text)
                break
    return lines


def generate(path: Path, size: int, seed: int = 6) -> int:
    """Write about ``size`` bytes of log to ``path``; returns the bytes written."""
    rnd = random.Random(seed)
    pool = [_noise(rnd) for _ in range(20000)]
    minified = "!function(e){var t={};" + "".join(rnd.choice("abcdefghij(){};,.=+") for _ in range(50000)) + "}"
    planted = _planted()
    written = 0
    phase_index = 0
    batch_lines = 5000
    plant_every = max(size // max(len(planted) * 3, 1), 1)
    next_plant = plant_every // 2
    with path.open("wb") as out:
        out.write((agent("Running on CodeBuild On-demand", rnd) + "\n").encode())
        while written < size:
            lines = rnd.choices(pool, k=batch_lines)
            if rnd.random() < 0.3:
                lines[rnd.randrange(batch_lines)] = minified
            if rnd.random() < 0.2 and phase_index < len(PHASES) - 1:
                lines.insert(0, agent(f"Entering phase {PHASES[phase_index]}", rnd))
                lines.insert(1, agent(f"Running command npm run build-{phase_index}", rnd))
                phase_index += 1
            if written >= next_plant and planted:
                lines[rnd.randrange(batch_lines)] = rnd.choice(planted)
                next_plant += plant_every
            data = ("\n".join(lines) + "\n").encode()
            out.write(data)
            written += len(data)
        out.write((agent("Phase complete: BUILD State: FAILED", rnd) + "\n").encode())
    return written


def parse_size(text: str) -> int:
    """``10M``, ``1G``, ``500000`` -> bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * units[text[-1].upper()]) if text[-1].upper() in units else int(text)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write a realistic generated CodeBuild log.")
    parser.add_argument("path", type=Path, help="where to write the log")
    parser.add_argument("size", type=parse_size, help="its size: 10M, 100M, 1G (bytes, k, M or G)")
    args = parser.parse_args()
    print(generate(args.path, args.size))
