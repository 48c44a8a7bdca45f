"""One error vocabulary, from a contract's custom error to the HTTP response.

Every error the package raises derives from :class:`RegistryError` and also from the
builtin it resembles, so callers can catch either. ``code`` is a stable machine name
(used in API error bodies); ``status`` is the HTTP status the API maps it to.
"""

from __future__ import annotations

from typing import Any, ClassVar


class RegistryError(Exception):
    """Root of every error the registry raises."""

    code: ClassVar[str] = "registry_error"
    status: ClassVar[int] = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class InvalidInput(RegistryError, ValueError):
    """A request or argument is malformed."""

    code = "invalid_input"
    status = 422


class InvalidVin(InvalidInput):
    """A VIN fails ISO 3779 validation (length, characters or check digit)."""

    code = "invalid_vin"


class NotFound(RegistryError, LookupError):
    """The thing asked for does not exist."""

    code = "not_found"
    status = 404


class Unauthorized(RegistryError, PermissionError):
    """The caller may not do this (wrong role, not the holder, not the owner)."""

    code = "unauthorized"
    status = 403


class Conflict(RegistryError):
    """The request is well-formed but the current state refuses it."""

    code = "conflict"
    status = 409


class ChainUnavailable(RegistryError, ConnectionError):
    """The chain node cannot be reached."""

    code = "chain_unavailable"
    status = 503


class ConfigurationError(RegistryError, RuntimeError):
    """The registry is not set up for this (no deployment, no key, bad setting)."""

    code = "configuration_error"
    status = 500


class TransactionFailed(RegistryError):
    """The chain refused a transaction for a reason the registry could not decode."""

    code = "transaction_failed"
    status = 409


class NodeError(TransactionFailed):
    """The chain node answered a request with a JSON-RPC error (not a contract revert).

    A :class:`TransactionFailed` so that callers that retry a smaller request on "too many
    results" or "range too large" keep catching it; ``details`` carry the node's ``rpc_code``
    and ``rpc_message``. HTTP 502: an upstream service refused, not the caller's request.
    """

    code = "node_error"
    status = 502


class ContractRejection(RegistryError):
    """Mixin data for errors decoded from a contract's custom error.

    ``error_name`` is the Solidity error (e.g. ``RegistryNotLienholder``) and ``arguments``
    its decoded arguments, so callers can act on them without parsing the message.
    """

    error_name: str = ""
    arguments: dict[str, Any]


class RejectedInvalid(InvalidInput, ContractRejection):
    """The contract refused the input as malformed."""


class RejectedNotFound(NotFound, ContractRejection):
    """The contract found no such title, lien, loan, policy or claim."""


class RejectedUnauthorized(Unauthorized, ContractRejection):
    """The contract refused the caller: wrong role, not the owner, not the holder."""


class RejectedConflict(Conflict, ContractRejection):
    """The contract refused because of the current state (a lien stands, a title exists, …)."""


class Unauthenticated(RegistryError, PermissionError):
    """The request carries no valid credential (API key missing, unknown or revoked)."""

    code = "unauthenticated"
    status = 401


class RateLimited(RegistryError):
    """Too many requests from one client; ``details['retry_after']`` says when to retry."""

    code = "rate_limited"
    status = 429


class IndexerLocked(Conflict):
    """Another indexer is already writing to this database."""

    code = "indexer_locked"


class IndexerMismatch(ConfigurationError):
    """The database was indexed from another chain or deployment."""

    code = "indexer_mismatch"


class MirrorNotReady(RegistryError):
    """The SQL mirror has no data yet (the indexer has not completed a first batch)."""

    code = "mirror_not_ready"
    status = 503


class OutOfRange(InvalidInput):
    """An as-of moment outside what the registry recorded: before its first block, or in the
    future (HTTP 400: the request is well-formed, the moment is not one the register knows)."""

    code = "out_of_range"
    status = 400
