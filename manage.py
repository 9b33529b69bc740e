#!/usr/bin/env python
import sys

from anzu.cli import main

if __name__ == "__main__":
    sys.exit(main())
