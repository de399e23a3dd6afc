"""``python -m starrules``: the same command line as ``starrules``."""

import sys

from starrules.cli import main

sys.exit(main())
