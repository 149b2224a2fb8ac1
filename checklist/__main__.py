"""`python -m checklist`: the same command line as the installed `checklist` script."""

import sys

try:
    from checklist.cli import main
except ModuleNotFoundError as exc:
    # Run by a Python without the app's dependencies (the system's python3 rather than .venv's): say which
    # Python to use instead of a traceback. A module of our own that is missing is a bug, and stays loud.
    if (exc.name or "").partition(".")[0] == "checklist":
        raise
    print(
        f"error: {exc.name} is not installed for {sys.executable}; run `make install`, "
        "then use .venv/bin/checklist (or .venv/bin/python -m checklist)",
        file=sys.stderr,
    )
    sys.exit(1)

sys.exit(main())
