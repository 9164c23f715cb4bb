"""`python -m dlgrade` is the same as the `dlgrade` command."""

from dlgrade.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
