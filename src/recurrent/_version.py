"""The version, in one place (read by the package, the file writer and the command line)."""

__version__ = "0.1.0"
