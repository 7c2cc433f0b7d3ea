"""``python -m dualcarbon`` is the ``dualcarbon`` command."""
import sys

from dualcarbon.cli import main

sys.exit(main())
