"""``python -m hybridwait``: the same command line as the ``hybridwait`` script.

Example::

    python -m hybridwait wait pod/web-0 --for=condition=Ready --timeout=60s
"""

import sys

from hybridwait.cli.main import main

sys.exit(main())
