"""The ``hybridwait`` command line: ``wait`` (a kubectl-wait drop-in), ``demo``
and ``fake-apiserver``. Each subcommand lives in its own module exposing
``register(subparsers)``; heavy imports happen inside the command, not here."""
