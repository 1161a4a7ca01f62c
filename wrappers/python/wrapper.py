"""ferrite's Python wrapper: runs one worker of a function with a nuclio-style handler.

The processor starts it as ``python3 wrappers/python/wrapper.py`` in the function
directory, with ``sdk-python/src`` on ``PYTHONPATH`` and the ``FERRITE_*`` variables of
``schemas/PROTOCOL.md`` set. The work (connect, hello, load handler, init, ready, loop)
is in :mod:`ferrite_sdk.worker`, where it is tested.
"""

import sys

from ferrite_sdk.worker import main

if __name__ == "__main__":
    sys.exit(main())
