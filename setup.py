"""Build hook: ship the top-level ``rules/`` pack inside the wheel.

The rule pack lives at the repository root so rule authors find it, but only
packages are installed; this copies ``rules/**.yaml`` to ``analyzer/data/rules``
in the build tree, where :mod:`analyzer.rules.loader` finds it after install.
"""

from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithRules(build_py):
    """``build_py`` that also copies the shipped rule pack into the package."""

    def run(self) -> None:
        super().run()
        source = Path(__file__).parent / "rules"
        target = Path(self.build_lib) / "analyzer" / "data" / "rules"
        if target.exists():
            shutil.rmtree(target)
        for path in sorted(source.rglob("*.yaml")):
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)


setup(cmdclass={"build_py": BuildPyWithRules})
