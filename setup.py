"""Build hook: ship the top-level ``rules/`` pack (and the demo's sample builds) inside the wheel.

The rule pack lives at the repository root so rule authors find it, but only
packages are installed; this copies ``rules/**.yaml`` to ``analyzer/data/rules``
and ``fixtures/builds/`` to ``analyzer/data/demo`` in the build tree, where
:mod:`analyzer.rules.loader` and :mod:`analyzer.demo` find them after install.
"""

from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithRules(build_py):
    """``build_py`` that also copies the shipped rule pack into the package."""

    def run(self) -> None:
        super().run()
        root = Path(__file__).parent
        data = Path(self.build_lib) / "analyzer" / "data"
        _copy_tree(root / "rules", data / "rules", ("*.yaml",))
        _copy_tree(root / "fixtures" / "builds", data / "demo", ("*.json", "*.txt"))


def _copy_tree(source: Path, target: Path, patterns: tuple[str, ...]) -> None:
    if target.exists():
        shutil.rmtree(target)
    for pattern in patterns:
        for path in sorted(source.rglob(pattern)):
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)


setup(cmdclass={"build_py": BuildPyWithRules})
