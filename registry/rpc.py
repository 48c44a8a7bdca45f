"""The one JSON-RPC transport to the chain node: every module that talks to the node uses it.

:func:`connect` returns a :class:`Transport` for an ``http(s)://`` URL. It holds

* the timeouts (``connect_timeout`` to open a connection, ``timeout`` to read an answer);
* keep-alive connections in a thread-safe pool (the API shares one transport across threads);
* bounded retries with exponential backoff on transport failures: always when the request
  cannot have reached the node (connection refused, connect timeout), and after a failure
  that may have reached it (reset, read timeout, HTTP 5xx) only for requests that are safe to
  resend: reads, and ``eth_sendRawTransaction`` of the same signed bytes
  (:meth:`Transport.send_raw_transaction` treats "already known" / "nonce too low" for a
  transaction whose hash the node then knows as sent, not as an error);
* JSON-RPC batches (:meth:`Transport.batch`);
* one mapping of failures to the domain errors: nothing answers → :class:`ChainUnavailable`;
  the node answers with a JSON-RPC error → :class:`NodeError`; the call reverted → the
  decoded contract error (:func:`registry.reverts.decode_revert`).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import ConnectTimeoutError as _ConnectTimeout
from urllib3.exceptions import HTTPError, NewConnectionError

from registry.errors import ChainUnavailable, ConfigurationError, NodeError, RegistryError

Call = tuple[str, Sequence[Any]]  # (method, params)

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_RETRIES = 3
BATCH_SIZE = 500

#: Methods that change nothing (or, for a signed transaction, change it once however often it
#: is sent): resent after a failure that may have reached the node.
_UNSAFE_ETH = frozenset({"eth_sendTransaction", "eth_sign", "eth_signTransaction"})
#: What nodes answer when a signed transaction reaches them a second time.
_ALREADY_SENT = ("already known", "known transaction", "already imported", "nonce too low",
                 "already exists", "already in")  # fmt: skip
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def safe_to_resend(method: str) -> bool:
    """True for requests a node may see twice without harm."""
    return method.startswith(("eth_", "net_", "web3_")) and method not in _UNSAFE_ETH


def backoff_delays(first: float = 0.5, cap: float = 10.0) -> Iterator[float]:
    """How long to wait before each retry: ``first``, twice that, four times … at most ``cap``."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * 2)


class _Unreached(Exception):
    """Internal: the request did not reach the node (safe to resend anything)."""


class _Lost(Exception):
    """Internal: the request may have reached the node, but no usable answer came back."""


class Transport:
    """JSON-RPC over HTTP to one node: pooled keep-alive connections, retries, one error map.

    Thread-safe: one instance may serve every thread of a process (not across ``fork``).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = 0.1,
        max_backoff: float = 2.0,
        pool_size: int = 16,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                f"{url!r} is not an http(s) JSON-RPC URL (e.g. http://127.0.0.1:8545)", url=url
            )
        self.url = url
        #: the URL as messages show it: without a user name or password it may carry
        self.endpoint = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = dict(_HEADERS)
        if parts.username is not None:
            auth = f"{parts.username}:{parts.password or ''}"
            self._headers |= urllib3.make_headers(basic_auth=auth)
        self._pool = urllib3.connection_from_url(
            url,
            maxsize=pool_size,
            block=False,
            retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=timeout),
        )
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"Transport({self.endpoint!r})"

    def close(self) -> None:
        """Closes the pooled connections (the transport reconnects if used again)."""
        self._pool.close()

    # ----------------------------------------------------------------- requests

    def request(self, method: str, params: Sequence[Any] = (), *, action: str | None = None) -> Any:
        """One JSON-RPC call; returns its ``result``.

        ``action`` names what the call does, for the message of a revert.

        Raises:
            ChainUnavailable: nothing answers at :attr:`url` (after the retries).
            NodeError: the node answered with an error.
            RegistryError: the call reverted (the decoded contract error).
        """
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        reply = self._exchange(body, resend=safe_to_resend(method))
        if not isinstance(reply, dict):
            raise NodeError(f"the node answered {method} with a batch", method=method)
        return _result(method, reply, action)

    def chain_id(self) -> int:
        """The node's chain id (``eth_chainId``)."""
        return int(self.request("eth_chainId"), 16)

    def batch(self, calls: Sequence[Call], *, size: int = BATCH_SIZE) -> list[Any]:
        """Many calls in JSON-RPC batches of ``size``; results in call order.

        Raises:
            ChainUnavailable, NodeError, RegistryError: as :meth:`request`, for any call.
        """
        results: list[Any] = []
        for i in range(0, len(calls), size):
            chunk = calls[i : i + size]
            body = [
                {"jsonrpc": "2.0", "id": k, "method": m, "params": list(p)}
                for k, (m, p) in enumerate(chunk)
            ]
            replies = self._exchange(body, resend=all(safe_to_resend(m) for m, _ in chunk))
            if isinstance(replies, dict):  # the whole batch refused, as one error object
                error = replies.get("error") or {}
                raise NodeError(
                    f"the node refused a batch of {len(chunk)} calls: {error.get('message')}",
                    rpc_code=error.get("code"),
                    rpc_message=error.get("message"),
                )
            by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
            for k, (method, _) in enumerate(chunk):
                reply = by_id.get(k)
                if reply is None:
                    raise NodeError(f"the node left {method} of a batch unanswered", method=method)
                results.append(_result(method, reply, None))
        return results

    def send_raw_transaction(self, raw: str, tx_hash: str, *, action: str) -> str:
        """``eth_sendRawTransaction`` of signed bytes whose hash is ``tx_hash``; returns it.

        Resending the same bytes is harmless; when the node answers a resend (ours, after a
        lost answer, or anyone's) with "already known" or "nonce too low" and then knows
        ``tx_hash``, the transaction was sent: that is the answer, not an error.
        """
        try:
            sent: str = self.request("eth_sendRawTransaction", [raw], action=action)
        except NodeError as exc:
            text = str(exc.details.get("rpc_message") or exc.message).lower()
            if any(s in text for s in _ALREADY_SENT) and self._knows(tx_hash):
                return tx_hash
            raise
        return sent

    def _knows(self, tx_hash: str) -> bool:
        try:
            return self.request("eth_getTransactionByHash", [tx_hash]) is not None
        except RegistryError:
            return False

    # ----------------------------------------------------------------- plumbing

    def _exchange(self, body: Any, *, resend: bool) -> Any:
        """POSTs ``body`` and returns the parsed JSON answer, retrying transport failures."""
        payload = json.dumps(body, separators=(",", ":")).encode()
        delays = iter(backoff_delays(self.backoff, self.max_backoff))
        attempt = 0
        while True:
            try:
                return self._post(payload)
            except (_Unreached, _Lost) as exc:
                if attempt >= self.retries or (isinstance(exc, _Lost) and not resend):
                    raise ChainUnavailable(
                        f"cannot reach the chain node at {self.endpoint}: {exc}"
                        + (f" (after {attempt + 1} attempts)" if attempt else ""),
                        endpoint=self.endpoint,
                    ) from exc
            attempt += 1
            time.sleep(next(delays))

    def _post(self, payload: bytes) -> Any:
        try:
            response = self._pool.urlopen(
                "POST", self._path, body=payload, headers=self._headers, retries=False,
                redirect=False, assert_same_host=False, preload_content=True,
            )  # fmt: skip
        except (NewConnectionError, _ConnectTimeout) as exc:
            raise _Unreached(_reason(exc)) from exc
        except (HTTPError, OSError) as exc:
            raise _Lost(_reason(exc)) from exc
        try:
            answer = json.loads(response.data)
        except ValueError:
            answer = None
        if isinstance(answer, list) or (isinstance(answer, dict) and "jsonrpc" in answer):
            return answer  # a node's answer, whatever the HTTP status (some send errors as 4xx)
        raise _Lost(f"HTTP {response.status}, not a JSON-RPC answer")


def _reason(exc: BaseException) -> str:
    """A short cause: "ConnectionRefusedError", "ReadTimeoutError" …"""
    cause: BaseException = exc
    while cause.__context__ is not None and isinstance(cause, HTTPError):
        cause = cause.__context__
    return type(cause).__name__


def _result(method: str, reply: dict[str, Any], action: str | None) -> Any:
    """The ``result`` of one reply, or its error mapped to the domain error."""
    error = reply.get("error")
    if error is None:
        return reply.get("result")
    if not isinstance(error, dict):
        raise NodeError(f"the node refused {method}: {error}", method=method, rpc_message=error)
    message = str(error.get("message", ""))
    data = error.get("data")
    if isinstance(data, dict):  # some nodes nest the revert data
        data = data.get("data") or data.get("result")
    revert_data = data if isinstance(data, str) and data.startswith("0x") else None
    if "revert" in message.lower() or revert_data:
        # imported here: commands that never call a contract skip eth_abi and the ABIs
        from registry.reverts import decode_revert

        what = action or ("the call" if method == "eth_call" else "the transaction")
        raise decode_revert(revert_data, action=what)
    raise NodeError(
        f"the node refused {method}: {message}",
        method=method,
        rpc_code=error.get("code"),
        rpc_message=message,
    )


def connect(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = 0.1,
) -> Transport:
    """The transport to the node at ``url`` (nothing is sent until the first request).

    ``timeout`` bounds the wait for an answer, ``connect_timeout`` for a connection;
    ``retries`` transport failures are retried, after ``backoff`` seconds, then twice that…
    """
    return Transport(
        url, timeout=timeout, connect_timeout=connect_timeout, retries=retries, backoff=backoff
    )
