"""Account addresses as the registry takes them: checked, checksummed, named in errors."""

from __future__ import annotations

from eth_utils import to_checksum_address

from registry.errors import InvalidInput

ZERO_ADDRESS = "0x" + "0" * 40


def checksum_address(value: str, what: str = "address") -> str:
    """``value`` as a checksummed address.

    Raises:
        InvalidInput: it is not 0x followed by 40 hex digits (the message names ``what``).
    """
    try:
        return to_checksum_address(value)
    except ValueError:
        raise InvalidInput(
            f"{value!r} is not a valid {what} (0x followed by 40 hex digits)"
        ) from None
