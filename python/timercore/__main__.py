import sys

from timercore.cli import main

sys.exit(main())
