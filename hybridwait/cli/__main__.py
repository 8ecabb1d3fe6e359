"""``python -m hybridwait.cli``."""

import sys

from hybridwait.cli.main import main

sys.exit(main())
