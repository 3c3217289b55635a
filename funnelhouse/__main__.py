import sys

from funnelhouse.cli import main

sys.exit(main())
