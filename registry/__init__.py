"""The vehicle collateral registry: domain types, contract client, indexer, SQL mirror, CLI."""

__version__ = "0.1.0"
