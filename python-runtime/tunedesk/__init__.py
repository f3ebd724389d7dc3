"""TuneDesk's bundled trainer. Run it as ``python -m tunedesk <command>``."""

__version__ = "0.1.0"
