// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RegistryBase} from "./RegistryBase.sol";
import {ILoanLedger} from "../interfaces/ILoanLedger.sol";

/// @title Liens
/// @notice Registering, releasing and assigning security interests. A lien's priority is its rank
/// by registration order among the vehicle's active liens; nothing is ever deleted.
abstract contract Liens is RegistryBase {
    /// @notice The loan ledger told when a lien is assigned, so the loan follows its lien.
    ILoanLedger public loanLedger;

    /**
     * @notice Registers the caller's lien on `vin`. A second lien is legal but visible to all.
     *
     * Requirements:
     * - the caller has `LENDER_ROLE`;
     * - the title exists and is not branded stolen (unrecovered) or junk.
     *
     * Emits {LienRegistered}.
     */
    function registerLien(bytes32 vin, bool floorPlan) external onlyRole(LENDER_ROLE) returns (uint256 lienId) {
        lienId = _nextLienId++;
        _register(vin, floorPlan, lienId);
    }

    /**
     * @notice Registers many liens in one transaction (a lender migrating its book). Lien ids are
     * consecutive from the returned one.
     *
     * Requirements: as {registerLien} for each entry; both arrays have one length.
     *
     * Emits {LienRegistered} for each.
     */
    function registerLiensBatch(bytes32[] calldata vins, bool[] calldata floorPlans)
        external
        onlyRole(LENDER_ROLE)
        returns (uint256 firstLienId)
    {
        uint256 n = vins.length;
        if (floorPlans.length != n) revert RegistryBatchLengthMismatch(n, floorPlans.length);
        firstLienId = _nextLienId;
        for (uint256 i = 0; i < n; ++i) {
            _register(vins[i], floorPlans[i], firstLienId + i);
        }
        _nextLienId = firstLienId + n;
    }

    /**
     * @notice The lienholder releases its lien (payoff outside the loan ledger, or voluntarily).
     *
     * Requirements: the lien is active and held by the caller.
     *
     * Emits {LienReleased}.
     */
    function releaseLien(uint256 lienId) external {
        _endLien(lienId, msg.sender, ReleaseReason.Voluntary);
    }

    /**
     * @notice The lienholder assigns its lien to another lender (a loan sale or securitisation).
     * The lien keeps its id and so its priority; a loan it secures follows it.
     *
     * Requirements: the lien is active and held by the caller; `to` has `LENDER_ROLE` and is not
     * the caller; the loan the lien secures is not pledged to a funder (use
     * {assignLienWithConsent} then).
     *
     * Emits {LienAssigned}.
     */
    function assignLien(uint256 lienId, address to) external {
        _assign(lienId, to, ILoanLedger.FunderConsent(0, ""));
    }

    /**
     * @notice Assigns the lien of a loan pledged to a funder, with the funder's signed consent
     * (EIP-712 `PledgeConsent`, checked by the loan ledger).
     *
     * Requirements: as {assignLien}; a valid, unexpired consent of the funder holding the pledge.
     *
     * Emits {LienAssigned}.
     */
    function assignLienWithConsent(uint256 lienId, address to, ILoanLedger.FunderConsent calldata consent)
        external
    {
        _assign(lienId, to, consent);
    }

    // ------------------------------------------------------------------ views

    /// @notice A lien's VIN, holder, status and floor-plan flag (status None if unknown).
    function lienOf(uint256 lienId)
        external
        view
        returns (bytes32 vin, address holder, LienStatus status, bool floorPlan)
    {
        Lien storage l = _liens[lienId];
        return (l.vin, l.holder, l.status, l.floorPlan);
    }

    /// @notice Every lien ever registered on `vin`, oldest first.
    function liensOf(bytes32 vin) external view returns (uint256[] memory ids) {
        return _collect(vin, false);
    }

    /// @notice The active liens on `vin` in priority order (first to register ranks first).
    function activeLiensOf(bytes32 vin) external view returns (uint256[] memory ids) {
        return _collect(vin, true);
    }

    /// @notice For each VIN, the oldest active lien `holder` holds on it (0 if none): what an
    /// import checks before registering, and what it finances.
    function activeLiensOfMany(bytes32[] calldata vins, address holder) external view returns (uint256[] memory ids) {
        uint256 n = vins.length;
        ids = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            for (uint256 id = _titles[vins[i]].lastLienId; id != 0; id = _liens[id].prevLienId) {
                Lien storage l = _liens[id];
                if (l.status == LienStatus.Active && l.holder == holder) ids[i] = id;
            }
        }
    }

    /// @notice A lien's rank among its vehicle's active liens (1 = first), 0 if not active.
    function lienPriority(uint256 lienId) external view returns (uint256 rank) {
        Lien storage l = _liens[lienId];
        if (l.status != LienStatus.Active) return 0;
        rank = 1;
        for (uint256 id = l.prevLienId; id != 0; id = _liens[id].prevLienId) {
            if (_liens[id].status == LienStatus.Active) ++rank;
        }
    }

    /// @notice The id the next registered lien will get.
    function nextLienId() external view returns (uint256) {
        return _nextLienId;
    }

    // --------------------------------------------------------------- internal

    function _assign(uint256 lienId, address to, ILoanLedger.FunderConsent memory consent) private {
        Lien storage l = _liens[lienId];
        LienStatus status = l.status;
        if (status != LienStatus.Active) {
            if (status == LienStatus.None) revert RegistryLienNotFound(lienId);
            revert RegistryLienNotActive(lienId, status);
        }
        if (l.holder != msg.sender) revert RegistryNotLienholder(lienId, msg.sender, l.holder);
        if (to == msg.sender) revert RegistryInvalidAddress(to);
        if (!hasRole(LENDER_ROLE, to)) revert RegistryNotLender(to);
        l.holder = to;
        emit LienAssigned(lienId, l.vin, msg.sender, to);
        ILoanLedger ledger = loanLedger;
        if (address(ledger) != address(0)) ledger.onLienAssigned(lienId, to, consent);
    }

    function _register(bytes32 vin, bool floorPlan, uint256 lienId) private {
        Title storage t = _existingTitle(vin);
        _requireTransferable(vin, t.status);
        _liens[lienId] = Lien({
            vin: vin,
            holder: msg.sender,
            prevLienId: t.lastLienId,
            status: LienStatus.Active,
            floorPlan: floorPlan
        });
        t.lastLienId = uint48(lienId);
        t.activeLiens += 1;
        emit LienRegistered(lienId, vin, msg.sender, floorPlan);
    }

    function _collect(bytes32 vin, bool activeOnly) private view returns (uint256[] memory ids) {
        uint256 count;
        uint256 head = _titles[vin].lastLienId;
        for (uint256 id = head; id != 0; id = _liens[id].prevLienId) {
            if (!activeOnly || _liens[id].status == LienStatus.Active) ++count;
        }
        ids = new uint256[](count);
        for (uint256 id = head; id != 0; id = _liens[id].prevLienId) {
            if (!activeOnly || _liens[id].status == LienStatus.Active) ids[--count] = id;
        }
    }
}
