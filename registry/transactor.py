"""Sending transactions and reading receipts over raw JSON-RPC, with errors in our vocabulary.

Raw requests keep the hot path cheap (no web3 result formatting) and give direct access to a
revert's data, which :func:`registry.reverts.decode_revert` turns into a domain error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from registry.errors import ChainUnavailable, ConfigurationError, RegistryError, TransactionFailed
from registry.events import DecodedEvent, EventDecoder
from registry.reverts import decode_revert


@dataclass(frozen=True)
class TxResult:
    """A mined transaction: where it landed, what it cost, and the registry events it emitted."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    events: list[DecodedEvent] = field(default_factory=list)
    contract_address: str | None = None  # set for a contract creation

    def event(self, name: str) -> DecodedEvent:
        """The first event called ``name`` (the caller knows the action emits it)."""
        for ev in self.events:
            if ev.name == name:
                return ev
        raise TransactionFailed(f"transaction {self.tx_hash} emitted no {name} event")

    def all(self, name: str) -> list[DecodedEvent]:
        return [ev for ev in self.events if ev.name == name]


def connect(rpc_url: str, *, timeout: float = 30.0) -> Web3:
    """A Web3 connection to ``rpc_url`` (connection errors surface on first use)."""
    return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))


class Transactor:
    """Signs with one account and sends; reads over raw RPC. One instance per signer."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount | None,
        decoder: EventDecoder | None = None,
        *,
        receipt_timeout: float = 120.0,
        poll_interval: float = 0.02,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.decoder = decoder or EventDecoder()
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval
        self._chain_id: int | None = None
        self._gas_limit: int | None = None

    # ---------------------------------------------------------------- raw RPC

    def rpc(self, method: str, params: list[Any]) -> Any:
        """One JSON-RPC call; node errors other than reverts become :class:`ChainUnavailable`."""
        try:
            response = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        except (requests.ConnectionError, requests.Timeout, OSError) as exc:
            raise ChainUnavailable(
                f"cannot reach the chain node at {self.endpoint}: {type(exc).__name__}",
                endpoint=self.endpoint,
            ) from exc
        if "error" in response:
            err = response["error"]
            data = err.get("data")
            if isinstance(data, dict):  # some nodes nest it
                data = data.get("data")
            if "revert" in str(err.get("message", "")).lower() or data:
                raise _RevertSignal(data if isinstance(data, str) else None, err.get("message"))
            raise TransactionFailed(f"the node refused {method}: {err.get('message')}", rpc=err)
        return response["result"]

    @property
    def endpoint(self) -> str:
        return str(getattr(self.w3.provider, "endpoint_uri", "the node"))

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.rpc("eth_chainId", []), 16)
        return self._chain_id

    def block_gas_limit(self) -> int:
        """The latest block's gas limit (a transaction's gas may not exceed it)."""
        if self._gas_limit is None:
            block = self.rpc("eth_getBlockByNumber", ["latest", False])
            self._gas_limit = int(block["gasLimit"], 16)
        return self._gas_limit

    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber", []), 16)

    def call(self, to: str, data: str, block: int | str = "latest", *, action: str = "") -> str:
        """eth_call (as the signer, if any); a revert becomes the matching domain error."""
        block_id = hex(block) if isinstance(block, int) else block
        tx: dict[str, Any] = {"to": to, "data": data}
        if self.account is not None:
            tx["from"] = self.account.address
        try:
            result: str = self.rpc("eth_call", [tx, block_id])
        except _RevertSignal as sig:
            raise decode_revert(sig.data, action=action or "the call") from None
        return result

    # ------------------------------------------------------------ transacting

    def _signer(self) -> LocalAccount:
        if self.account is None:
            raise ConfigurationError("this instance has no signing key: it can only read")
        return self.account

    def send(self, to: str | None, data: str, *, action: str, gas: int | None = None) -> TxResult:
        """Estimates (surfacing any refusal as a domain error), signs, sends and waits.

        ``to=None`` deploys ``data`` as contract creation code.
        """
        account = self._signer()
        tx: dict[str, Any] = {"from": account.address, "data": data}
        if to is not None:
            tx["to"] = to
        if gas is None:
            try:
                estimate = int(self.rpc("eth_estimateGas", [tx]), 16)
            except _RevertSignal as sig:
                raise decode_revert(sig.data, action=action) from None
            gas = min(estimate + estimate // 5 + 10_000, self.block_gas_limit())
        nonce = int(self.rpc("eth_getTransactionCount", [account.address, "pending"]), 16)
        gas_price = int(self.rpc("eth_gasPrice", []), 16)
        signed = account.sign_transaction(
            {
                **tx,
                "gas": gas,
                "gasPrice": gas_price,
                "nonce": nonce,
                "chainId": self.chain_id,
                "value": 0,
            }
        )
        try:
            tx_hash: str = self.rpc("eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()])
        except _RevertSignal as sig:
            raise decode_revert(sig.data, action=action) from None
        return self.wait(tx_hash, to=to, data=data, action=action)

    def wait(self, tx_hash: str, *, to: str | None, data: str, action: str) -> TxResult:
        """Waits for the receipt; a failed transaction is replayed to name its reason."""
        deadline = time.monotonic() + self.receipt_timeout
        receipt: dict[str, Any] | None = None
        while receipt is None:
            receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
            if receipt is None:
                if time.monotonic() > deadline:
                    raise ChainUnavailable(
                        f"{action}: transaction {tx_hash} was sent but not mined within "
                        f"{self.receipt_timeout:.0f} s; check it later before retrying",
                        tx_hash=tx_hash,
                    )
                time.sleep(self.poll_interval)
        block = int(receipt["blockNumber"], 16)
        if receipt["status"] != "0x1":
            error: RegistryError
            try:
                if to is None:
                    raise TransactionFailed(f"{action}: contract creation failed", tx_hash=tx_hash)
                self.call(to, data, block - 1, action=action)
                error = TransactionFailed(
                    f"{action} failed on chain (out of gas?)", tx_hash=tx_hash
                )
            except RegistryError as exc:
                error = exc
            error.details["tx_hash"] = tx_hash
            raise error
        events = [ev for log in receipt["logs"] if (ev := self.decoder.decode(log)) is not None]
        return TxResult(
            tx_hash=tx_hash,
            block_number=block,
            block_hash=receipt["blockHash"],
            gas_used=int(receipt["gasUsed"], 16),
            events=events,
            contract_address=receipt.get("contractAddress"),
        )


class _RevertSignal(Exception):
    """Internal: the node answered with a revert (data may be None)."""

    def __init__(self, data: str | None, message: str | None) -> None:
        super().__init__(message)
        self.data = data
