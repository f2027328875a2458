"""``python -m plugrad_backends [info]``: list the plugins, backends and devices found."""

import sys

from ._info import info

if __name__ == "__main__":
    if sys.argv[1:] not in ([], ["info"]):
        sys.exit("usage: python -m plugrad_backends [info]")
    print(info())
