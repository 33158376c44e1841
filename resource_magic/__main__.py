"""`python -m resource_magic ...`: the command line (see resource_magic.cli)."""

from .cli import run

if __name__ == "__main__":
    run()
