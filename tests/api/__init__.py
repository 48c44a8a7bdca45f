"""Tests (a package, so that module names are unambiguous)."""
