// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IPledges} from "../interfaces/IPledges.sol";
import {Signatures} from "../utils/Signatures.sol";

/// @title Pledges
/// @notice A lender funds its book by pledging loans to funders. The loan's servicer (the holder of
/// the lien that secures it) pledges it; a loan carries at most one active pledge, so pledging it
/// twice is refused on chain, naming the funder that holds it. Only that funder releases the
/// pledge (repurchase, remittance) or sells it to another funder (release and new pledge in one
/// transaction). A payoff or charge-off leaves the pledge standing until the funder releases it.
/// Assigning the lien of a pledged loan needs the funder's signed consent (EIP-712
/// `PledgeConsent`) in the same transaction.
/// @dev {LoanLedger} supplies the loan checks ({_requirePledgeable}) and the role check
/// ({_isFunder}); it calls {_checkPledgeConsent} from its lien-assignment hook.
abstract contract Pledges is IPledges, EIP712, Signatures {
    bytes32 public constant FUNDER_ROLE = keccak256("FUNDER_ROLE");
    bytes32 public constant PLEDGE_CONSENT_TYPEHASH = keccak256(
        "PledgeConsent(uint256 pledgeId,uint256 loanId,address from,address to,uint32 nonce,uint256 deadline)"
    );

    /// @dev One slot. `nonce` counts the lien assignments the funder consented to (what its next
    /// consent signs).
    struct Pledge {
        address funder;
        uint48 loanId;
        uint32 nonce;
        bool active;
    }

    mapping(uint256 pledgeId => Pledge) private _pledges;
    mapping(uint256 loanId => uint256 pledgeId) private _activePledge;
    uint256 private _nextPledgeId = 1;

    /**
     * @notice The servicer pledges loan `loanId` to `funder`.
     *
     * Requirements:
     * - the caller has `LENDER_ROLE` and services the loan, which is Originated, Active, Delinquent
     *   or Defaulted;
     * - `funder` has `FUNDER_ROLE`;
     * - the loan carries no active pledge (the refusal names the funder holding it).
     *
     * Emits {LoanPledged}.
     */
    function pledgeLoan(uint256 loanId, address funder) external returns (uint256 pledgeId) {
        _requireFunderRole(funder);
        pledgeId = _nextPledgeId++;
        _pledge(pledgeId, loanId, funder, _requirePledgeable(loanId));
    }

    /**
     * @notice Pledges many loans to one funder in one transaction (a pool). Pledge ids are
     * consecutive from the returned one.
     *
     * Requirements: as {pledgeLoan} for each loan (a loan listed twice is refused the second time).
     *
     * Emits {LoanPledged} for each.
     */
    function pledgeLoansBatch(uint256[] calldata loanIds, address funder) external returns (uint256 firstPledgeId) {
        _requireFunderRole(funder);
        uint256 n = loanIds.length;
        firstPledgeId = _nextPledgeId;
        for (uint256 i = 0; i < n; ++i) {
            _pledge(firstPledgeId + i, loanIds[i], funder, _requirePledgeable(loanIds[i]));
        }
        _nextPledgeId = firstPledgeId + n;
    }

    /**
     * @notice The funder releases its pledge of loan `loanId`.
     *
     * Requirements: the loan carries an active pledge held by the caller; `reason` is
     * Repurchase or Remittance (a sale goes through {transferPledge}).
     *
     * Emits {PledgeReleased}.
     */
    function releasePledge(uint256 loanId, uint8 reason) external {
        _requireReleaseReason(reason);
        _release(loanId, reason);
    }

    /**
     * @notice The funder releases its pledges of many loans in one transaction (a remittance).
     *
     * Requirements: as {releasePledge} for each loan.
     *
     * Emits {PledgeReleased} for each.
     */
    function releasePledgesBatch(uint256[] calldata loanIds, uint8 reason) external {
        _requireReleaseReason(reason);
        for (uint256 i = 0; i < loanIds.length; ++i) {
            _release(loanIds[i], reason);
        }
    }

    /**
     * @notice The funder sells its pledge of loan `loanId` to `newFunder`: the pledge is released
     * (reason Sale) and the loan pledged to `newFunder`, in this one transaction.
     *
     * Requirements: the loan carries an active pledge held by the caller; `newFunder` has
     * `FUNDER_ROLE` and is not the caller.
     *
     * Emits {PledgeReleased}, then {LoanPledged}.
     */
    function transferPledge(uint256 loanId, address newFunder) external returns (uint256 pledgeId) {
        _requireFunderRole(newFunder);
        pledgeId = _nextPledgeId++;
        _transfer(pledgeId, loanId, newFunder);
    }

    /**
     * @notice Sells the caller's pledges of many loans to `newFunder` in one transaction. New
     * pledge ids are consecutive from the returned one.
     *
     * Requirements: as {transferPledge} for each loan.
     *
     * Emits {PledgeReleased} and {LoanPledged} for each.
     */
    function transferPledgesBatch(uint256[] calldata loanIds, address newFunder)
        external
        returns (uint256 firstPledgeId)
    {
        _requireFunderRole(newFunder);
        uint256 n = loanIds.length;
        firstPledgeId = _nextPledgeId;
        for (uint256 i = 0; i < n; ++i) {
            _transfer(firstPledgeId + i, loanIds[i], newFunder);
        }
        _nextPledgeId = firstPledgeId + n;
    }

    // ------------------------------------------------------------------ views

    /// @notice The active pledge of loan `loanId`: its id, funder and consent nonce (0s if none).
    function pledgeOf(uint256 loanId) external view returns (uint256 pledgeId, address funder, uint32 nonce) {
        pledgeId = _activePledge[loanId];
        Pledge storage p = _pledges[pledgeId];
        return (pledgeId, p.funder, p.nonce);
    }

    /// @notice Pledge `pledgeId`: its loan, funder and whether it is still active (0s if unknown).
    function pledgeById(uint256 pledgeId) external view returns (uint256 loanId, address funder, bool active) {
        Pledge storage p = _pledges[pledgeId];
        return (p.loanId, p.funder, p.active);
    }

    /// @notice The id the next pledge will get.
    function nextPledgeId() external view returns (uint256) {
        return _nextPledgeId;
    }

    // --------------------------------------------------------------- internal

    /// @dev The lender servicing `loanId`, which must be the caller, and the loan pledgeable.
    function _requirePledgeable(uint256 loanId) internal view virtual returns (address lender);

    /// @dev The lender servicing `loanId` (for the event of a pledge sold to a new funder).
    function _lenderOfPledged(uint256 loanId) internal view virtual returns (address);

    /// @dev Whether `account` has `FUNDER_ROLE` in the registry.
    function _isFunder(address account) internal view virtual returns (bool);

    /// @dev Called when the lien securing `loanId` is assigned from `from` to `to`: a pledged loan
    /// needs its funder's EIP-712 `PledgeConsent` (`signature`, valid until `deadline`), which is
    /// then used up (the pledge's nonce moves on).
    function _checkPledgeConsent(uint256 loanId, address from, address to, uint256 deadline, bytes calldata signature)
        internal
    {
        uint256 pledgeId = _activePledge[loanId];
        if (pledgeId == 0) return;
        Pledge storage p = _pledges[pledgeId];
        address funder = p.funder;
        if (signature.length == 0) revert PledgeConsentMissing(loanId, pledgeId, funder);
        if (block.timestamp > deadline) revert PledgeConsentExpired(loanId, deadline);
        uint32 nonce = p.nonce;
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(PLEDGE_CONSENT_TYPEHASH, pledgeId, loanId, from, to, nonce, deadline))
        );
        if (!_signedBy(funder, digest, signature)) revert PledgeConsentInvalid(loanId, funder);
        p.nonce = nonce + 1;
    }

    function _pledge(uint256 pledgeId, uint256 loanId, address funder, address lender) private {
        uint256 existing = _activePledge[loanId];
        if (existing != 0) revert PledgeLoanAlreadyPledged(loanId, existing, _pledges[existing].funder);
        _pledges[pledgeId] = Pledge({funder: funder, loanId: uint48(loanId), nonce: 0, active: true});
        _activePledge[loanId] = pledgeId;
        emit LoanPledged(pledgeId, loanId, funder, lender);
    }

    /// @dev Ends the caller's active pledge of `loanId`.
    function _release(uint256 loanId, uint8 reason) private {
        uint256 pledgeId = _activePledge[loanId];
        if (pledgeId == 0) revert PledgeNotPledged(loanId);
        Pledge storage p = _pledges[pledgeId];
        address funder = p.funder;
        if (funder != msg.sender) revert PledgeNotFunder(loanId, msg.sender, funder);
        p.active = false;
        delete _activePledge[loanId];
        emit PledgeReleased(pledgeId, loanId, funder, reason);
    }

    function _transfer(uint256 pledgeId, uint256 loanId, address newFunder) private {
        _release(loanId, uint8(PledgeReleaseReason.Sale));
        if (newFunder == msg.sender) revert PledgeSameFunder(loanId, newFunder);
        _pledge(pledgeId, loanId, newFunder, _lenderOfPledged(loanId));
    }

    function _requireFunderRole(address account) private view {
        if (!_isFunder(account)) revert PledgeUnauthorizedAccount(account, FUNDER_ROLE);
    }

    function _requireReleaseReason(uint8 reason) private pure {
        if (reason > uint8(PledgeReleaseReason.Remittance)) revert PledgeInvalidReason(reason);
    }
}
