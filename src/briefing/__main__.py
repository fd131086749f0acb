"""`python -m briefing` runs the command-line interface."""

from briefing.cli import main

# Guarded: worker processes import the parent's main module under another name.
if __name__ == "__main__":
    main()
