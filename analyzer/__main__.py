"""``python -m analyzer``: the same as the ``codebuild-doctor`` command."""

import sys

from analyzer.cli import main

sys.exit(main())
