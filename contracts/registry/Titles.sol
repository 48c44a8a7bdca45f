// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RegistryBase} from "./RegistryBase.sol";
import {Signatures} from "../utils/Signatures.sol";

/// @title Titles
/// @notice Issuing titles, transferring them (with every active lienholder's consent when liens
/// stand), odometer readings, brands and dealer sales.
abstract contract Titles is RegistryBase, Signatures {
    /**
     * @notice Issues the title of `vin` to `owner` with a first odometer reading.
     *
     * Requirements:
     * - the caller has `REGISTRAR_ROLE`;
     * - `vin` is a well-formed VIN with no title yet; `owner` is not the zero address.
     *
     * Emits {TitleIssued}.
     */
    function issueTitle(bytes32 vin, address owner, uint64 odometer) external onlyRole(REGISTRAR_ROLE) {
        _issue(vin, owner, odometer);
    }

    /**
     * @notice Issues many titles in one transaction (a registrar loading an existing register),
     * each with the brands it already carries: `brands[i]` is a bitmask (bit b set: brand b).
     * The brands are applied in brand order, as {applyBrand} would, so the history is kept.
     *
     * Requirements: as {issueTitle} for each entry; the four arrays have one length; every brand is
     * known, and rebuilt comes with salvage, recovered-theft with stolen.
     *
     * Emits {TitleIssued} for each, then {BrandApplied} for each of its brands (and
     * {TitleStatusChanged} when a brand changes the status).
     */
    function issueTitlesBatch(
        bytes32[] calldata vins,
        address[] calldata owners,
        uint64[] calldata odometers,
        uint32[] calldata brands
    ) external onlyRole(REGISTRAR_ROLE) {
        uint256 n = vins.length;
        if (owners.length != n) revert RegistryBatchLengthMismatch(n, owners.length);
        if (odometers.length != n) revert RegistryBatchLengthMismatch(n, odometers.length);
        if (brands.length != n) revert RegistryBatchLengthMismatch(n, brands.length);
        for (uint256 i = 0; i < n; ++i) {
            bytes32 vin = vins[i];
            _issue(vin, owners[i], odometers[i]);
            uint32 mask = brands[i];
            for (uint8 b = 0; mask != 0; ++b) {
                if (mask & 1 != 0) _applyBrand(vin, b, msg.sender);
                mask >>= 1;
            }
        }
    }

    /**
     * @notice Transfers the title of `vin` from the caller to `to`.
     *
     * Requirements:
     * - the caller owns the title; `to` is neither zero nor the caller;
     * - no active lien stands (use {transferTitleWithConsent} otherwise);
     * - the title is not branded stolen (unrecovered) or junk.
     *
     * Emits {TitleTransferred}.
     */
    function transferTitle(bytes32 vin, address to) external {
        Title storage t = _ownedTitle(vin, to);
        uint16 active = t.activeLiens;
        if (active != 0) revert RegistryActiveLiens(vin, active);
        _moveTitle(vin, t, msg.sender, to);
    }

    /**
     * @notice Transfers the title of `vin` while liens stand, with a signed consent (EIP-712
     * `TransferConsent`) from the holder of every active lien, in priority order. A consent with
     * `release` set releases that lien in the same transaction (the loan is paid off at the sale).
     *
     * Requirements: as {transferTitle}, except that liens may stand; exactly one valid, unexpired
     * consent per active lien, ordered by lien id.
     *
     * Emits {LienReleased} for each released lien, then {TitleTransferred}.
     */
    function transferTitleWithConsent(bytes32 vin, address to, LienConsent[] calldata consents) external {
        Title storage t = _ownedTitle(vin, to);
        _applyConsents(vin, t, msg.sender, to, consents);
        _moveTitle(vin, t, msg.sender, to);
    }

    /**
     * @notice A dealer records the sale of a vehicle it holds title to. With no lien standing (after
     * any `consents` are applied) the title passes to `buyer`; otherwise the sale is recorded and the
     * title stays, and a standing floor-plan lien is named in the event: sold out of trust.
     *
     * Requirements:
     * - the caller has `DEALER_ROLE` and owns the title; `buyer` is neither zero nor the caller;
     * - any `consents` satisfy {transferTitleWithConsent}.
     *
     * Emits {SaleRecorded}, and {TitleTransferred} when the title passes.
     */
    function recordSale(bytes32 vin, address buyer, bytes32 saleRef, LienConsent[] calldata consents)
        external
        onlyRole(DEALER_ROLE)
    {
        Title storage t = _ownedTitle(vin, buyer);
        if (consents.length != 0) _applyConsents(vin, t, msg.sender, buyer, consents);
        uint256 floorPlanLien = _firstActiveFloorPlanLien(t.lastLienId);
        bool transferred = t.activeLiens == 0;
        emit SaleRecorded(vin, msg.sender, buyer, saleRef, floorPlanLien, transferred);
        if (transferred) _moveTitle(vin, t, msg.sender, buyer);
    }

    /**
     * @notice Records an odometer reading. Readings only go up.
     *
     * Requirements:
     * - the caller owns the title or has `DEALER_ROLE`, `INSURER_ROLE` or `REGISTRAR_ROLE`;
     * - `reading` is not below the latest reading (see {correctOdometer}).
     *
     * Emits {OdometerRecorded}.
     */
    function recordOdometer(bytes32 vin, uint64 reading) external {
        Title storage t = _existingTitle(vin);
        if (
            t.owner != msg.sender && !hasRole(DEALER_ROLE, msg.sender) && !hasRole(INSURER_ROLE, msg.sender)
                && !hasRole(REGISTRAR_ROLE, msg.sender)
        ) revert RegistryNotOdometerRecorder(vin, msg.sender);
        TitleRecord storage r = _records[vin];
        uint64 current = r.odometer;
        if (reading < current) revert RegistryOdometerRollback(vin, current, reading);
        r.odometer = reading;
        emit OdometerRecorded(vin, msg.sender, reading, false);
    }

    /**
     * @notice The registrar records a reading below the latest one (a replaced cluster, a proven
     * rollback). The title is branded odometer-not-actual, permanently.
     *
     * Requirements: the caller has `REGISTRAR_ROLE`; the title exists.
     *
     * Emits {OdometerRecorded} and, the first time, {BrandApplied}.
     */
    function correctOdometer(bytes32 vin, uint64 reading) external onlyRole(REGISTRAR_ROLE) {
        _existingTitle(vin);
        TitleRecord storage r = _records[vin];
        r.odometer = reading;
        emit OdometerRecorded(vin, msg.sender, reading, true);
        if (r.brands & (uint32(1) << BRAND_ODOMETER_NOT_ACTUAL) == 0) {
            _applyBrand(vin, BRAND_ODOMETER_NOT_ACTUAL, msg.sender);
        }
    }

    /**
     * @notice Brands a title. Brands are permanent: rebuilt supersedes salvage and recovered-theft
     * supersedes stolen, but neither erases the earlier brand.
     *
     * Requirements:
     * - the caller has `REGISTRAR_ROLE`; the title exists; `brand` is known and not yet applied;
     * - rebuilt needs salvage first; recovered-theft needs stolen first.
     *
     * Emits {BrandApplied}, and {TitleStatusChanged} when the brand changes the status.
     */
    function applyBrand(bytes32 vin, uint8 brand) external onlyRole(REGISTRAR_ROLE) {
        _existingTitle(vin);
        _applyBrand(vin, brand, msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @notice The title of `vin` (status None if no title was issued).
    function titleOf(bytes32 vin)
        external
        view
        returns (address owner, TitleStatus status, uint16 activeLiens, uint64 odometer, uint32 brands, uint24 transfers)
    {
        Title storage t = _titles[vin];
        TitleRecord storage r = _records[vin];
        return (t.owner, t.status, t.activeLiens, r.odometer, r.brands, t.transfers);
    }

    /// @notice Many titles' status, brands and active lien count at once (status None where no
    /// title was issued): what an import checks its rows against.
    function titlesOf(bytes32[] calldata vins)
        external
        view
        returns (TitleStatus[] memory statuses, uint32[] memory brands, uint16[] memory activeLiens)
    {
        uint256 n = vins.length;
        statuses = new TitleStatus[](n);
        brands = new uint32[](n);
        activeLiens = new uint16[](n);
        for (uint256 i = 0; i < n; ++i) {
            Title storage t = _titles[vins[i]];
            statuses[i] = t.status;
            brands[i] = _records[vins[i]].brands;
            activeLiens[i] = t.activeLiens;
        }
    }

    // --------------------------------------------------------------- internal

    function _issue(bytes32 vin, address owner, uint64 odometer) private {
        _checkVin(vin);
        if (owner == address(0)) revert RegistryInvalidAddress(owner);
        Title storage t = _titles[vin];
        if (t.status != TitleStatus.None) revert RegistryTitleExists(vin);
        t.owner = owner;
        t.status = TitleStatus.Active;
        if (odometer != 0) _records[vin].odometer = odometer;
        emit TitleIssued(vin, owner, msg.sender, odometer);
    }

    /// @dev The caller's transferable title of `vin`, checked for a valid recipient `to`.
    function _ownedTitle(bytes32 vin, address to) private view returns (Title storage t) {
        t = _titles[vin];
        address owner = t.owner;
        if (owner != msg.sender) {
            if (owner == address(0)) revert RegistryTitleNotFound(vin);
            revert RegistryNotTitleOwner(vin, msg.sender, owner);
        }
        if (to == address(0) || to == owner) revert RegistryInvalidAddress(to);
        _requireTransferable(vin, t.status);
    }

    /// @dev Checks one consent per active lien (walking the list newest first, so consents are
    /// consumed from the end) and releases the liens whose consent says so.
    function _applyConsents(bytes32 vin, Title storage t, address from, address to, LienConsent[] calldata consents)
        private
    {
        uint256 next = consents.length;
        uint32 nonce = t.transfers;
        for (uint256 id = t.lastLienId; id != 0; id = _liens[id].prevLienId) {
            Lien storage l = _liens[id];
            if (l.status != LienStatus.Active) continue;
            if (next == 0 || consents[next - 1].lienId != id) revert RegistryConsentMissing(vin, id);
            LienConsent calldata c = consents[--next];
            _verifyConsent(vin, l.holder, from, to, nonce, c);
            if (c.release) _endLien(id, l.holder, ReleaseReason.TransferConsent);
        }
        if (next != 0) revert RegistryConsentInvalid(consents[next - 1].lienId, address(0));
    }

    function _verifyConsent(
        bytes32 vin,
        address holder,
        address from,
        address to,
        uint32 nonce,
        LienConsent calldata c
    ) private view {
        if (block.timestamp > c.deadline) revert RegistryConsentExpired(c.lienId, c.deadline);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(TRANSFER_CONSENT_TYPEHASH, vin, c.lienId, from, to, nonce, c.release, c.deadline))
        );
        if (!_signedBy(holder, digest, c.signature)) revert RegistryConsentInvalid(c.lienId, holder);
    }

    function _firstActiveFloorPlanLien(uint256 head) private view returns (uint256 first) {
        for (uint256 id = head; id != 0; id = _liens[id].prevLienId) {
            Lien storage l = _liens[id];
            if (l.status == LienStatus.Active && l.floorPlan) first = id; // oldest wins
        }
    }
}
