"""The ``registry`` command-line tool."""
