"""Bulk import of an existing book: titles (with brands and odometer), liens, live loans.

:mod:`~registry.imports.files` reads the file, the kinds (:mod:`~registry.imports.registers`,
:mod:`~registry.imports.loans`) check its rows against the rules and the chain and encode
batches, :mod:`~registry.imports.pipeline` sends them (journaled first:
:mod:`~registry.imports.journal`), :mod:`~registry.imports.importer` runs the whole.
"""
