"""`python -m metrics.cli …` runs the same command as `mlkpi …`."""

import sys

from metrics.cli.main import main

sys.exit(main())
