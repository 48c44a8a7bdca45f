// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title Signatures
/// @notice How every consent of the registry (a lienholder's to a title transfer, a funder's to
/// a lien assignment) is checked.
abstract contract Signatures {
    /// @dev Whether `signer` signed `digest`: an ECDSA signature of an account without code, an
    /// ERC-1271 approval of a contract. (OpenZeppelin's SignatureChecker does the same, but since
    /// 5.4 it imports a library whose inline MCOPY would pin the build to cancun and later.)
    function _signedBy(address signer, bytes32 digest, bytes memory signature) internal view returns (bool) {
        if (signer.code.length == 0) {
            (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, signature);
            return err == ECDSA.RecoverError.NoError && recovered == signer;
        }
        (bool ok, bytes memory answer) =
            signer.staticcall(abi.encodeCall(IERC1271.isValidSignature, (digest, signature)));
        return ok && answer.length >= 32 && abi.decode(answer, (bytes32)) == bytes32(IERC1271.isValidSignature.selector);
    }
}
