"""`python -m extractors [salesforce|hubspot] [--objects ...] [--full-refresh]`."""

import sys

from extractors.cli import main

sys.exit(main())
