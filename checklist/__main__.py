import sys

from checklist.cli import main

sys.exit(main())
