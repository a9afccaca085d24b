"""The frozen app's main script (PyInstaller): the ``visiondesk`` command, start-up failures said in words.

In a folder of its own: PyInstaller searches the script's folder for modules first, and ``packaging/`` holds the
source of the root package ``visiondesk``, which would hide the installed one.
"""

import sys

from visiondesk.launcher import run

if __name__ == "__main__":
    sys.exit(run())
