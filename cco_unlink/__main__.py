import sys

from cco_unlink.cli import main

sys.exit(main())
