import sys

from insightlib.cli import main

sys.exit(main())
