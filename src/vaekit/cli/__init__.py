"""The ``vaekit`` command line (one file per command)."""
