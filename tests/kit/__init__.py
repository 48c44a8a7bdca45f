"""The one test kit: factories every suite uses; ``tests/conftest.py`` wires them as fixtures.

- :mod:`tests.kit.chain`: the :data:`~tests.kit.chain.CAST`, :class:`~tests.kit.chain.Registry`
  (a client per participant, set-up factories, the clock), ``private_registry()``, ``ref()``.
- :mod:`tests.kit.vins`: ``fresh_vin()``, ``fresh_vins(n)``.
- :mod:`tests.kit.expect`: ``reverts(...)``, ``release_reason``, ``same``.
- :mod:`tests.kit.mirror`: :class:`~tests.kit.mirror.Mirror` (SQLite or PostgreSQL, core or
  core + risk handlers), ``migrated_engine``, ``assert_mirror_exact``.
- :mod:`tests.kit.follower`: ``Follower`` (an indexer in a thread), ``wait_until``.
- :mod:`tests.kit.books`: ``Book``/``make_book``, ``populate``, ``random_actions``,
  ``make_loan``.
- :mod:`tests.kit.api`: ``api_settings``, ``Keys``/``make_keys``, ``bearer``, ``risk_app``,
  ``uvicorn_thread``, ``registry_serve``.
- :mod:`tests.kit.tapes`: ``planted_book`` (a loan tape over a real book, every exception
  kind planted, with near misses).
- :mod:`tests.kit.fuzz`: schemathesis formats; :mod:`tests.kit.browser`: ``chromium()``;
  :mod:`tests.kit.cli`: ``run_registry``; :mod:`tests.kit.rpc`: scripted and lossy nodes.
"""
