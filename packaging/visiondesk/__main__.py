"""``python -m visiondesk``."""

import sys

from visiondesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
