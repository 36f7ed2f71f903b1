"""``python -m codefill`` runs the command line."""

from codefill.cli import main

raise SystemExit(main())
