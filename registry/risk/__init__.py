"""Loan lifecycle and risk: delinquency, alerts, webhooks and the portfolio report.

:func:`registry.risk.hooks.risk_handlers` builds the risk rules the indexer runs beside the
core projections (``registry index`` runs them by default).
"""
