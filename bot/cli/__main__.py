"""`python -m bot.cli` is `kanalkollen`."""

import sys

from bot.cli.main import main

sys.exit(main())
