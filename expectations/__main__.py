"""`python -m expectations [run|history|export|assets] ...` - the same as `funnelhouse quality ...`."""

import sys

from expectations.cli import main

sys.exit(main())
