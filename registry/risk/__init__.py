"""Loan lifecycle and risk: delinquency, alerts, webhooks and the portfolio report.

Importing :mod:`registry.risk.hooks` plugs the risk rules into the indexer.
"""
