// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ICollateralRegistry
/// @notice Titles, brands, odometer readings, liens and dealer sales of the shared vehicle
/// collateral ledger. Errors and events live here; {CollateralRegistry} implements them.
/// @dev A VIN travels as `bytes32`: its 17 ASCII characters left-aligned, the rest zero.
interface ICollateralRegistry {
    enum TitleStatus {
        None, // no title issued for this VIN
        Active,
        TotalLoss, // declared a total loss by an insurer (branded salvage) and not yet rebuilt
        Stolen, // branded stolen and not yet recovered: no transfers or new liens
        Scrapped // branded junk: no further transfers or liens
    }

    enum LienStatus {
        None,
        Active,
        Released,
        Repossessed
    }

    /// @notice Why a lien stopped being active.
    enum ReleaseReason {
        Voluntary, // the lienholder released it
        Payoff, // the secured loan was paid off
        TransferConsent, // released by the holder's signed consent to a title transfer (payoff at sale)
        Repossession // the holder took the vehicle: the title passed to it
    }

    /// @notice A lienholder's signed consent (EIP-712) to one title transfer.
    struct LienConsent {
        uint256 lienId;
        bool release; // true: the lien is released by the transfer (payoff at sale)
        uint256 deadline; // unix time after which the consent is void
        bytes signature; // EIP-712 signature of TransferConsent by the lienholder
    }

    // ---------------------------------------------------------------- errors

    error RegistryInvalidVin(bytes32 vin);
    error RegistryInvalidAddress(address account);
    error RegistryTitleExists(bytes32 vin);
    error RegistryTitleNotFound(bytes32 vin);
    error RegistryNotTitleOwner(bytes32 vin, address caller, address owner);
    error RegistryTitleStatusForbids(bytes32 vin, TitleStatus status);
    error RegistryOdometerRollback(bytes32 vin, uint64 current, uint64 reading);
    error RegistryNotOdometerRecorder(bytes32 vin, address caller);
    error RegistryUnknownBrand(uint8 brand);
    error RegistryBrandAlreadyApplied(bytes32 vin, uint8 brand);
    error RegistryBrandRequires(bytes32 vin, uint8 brand, uint8 requiredBrand);
    error RegistryActiveLiens(bytes32 vin, uint256 activeLiens);
    error RegistryConsentMissing(bytes32 vin, uint256 lienId);
    error RegistryConsentInvalid(uint256 lienId, address lienholder);
    error RegistryConsentExpired(uint256 lienId, uint256 deadline);
    error RegistryLienNotFound(uint256 lienId);
    error RegistryLienNotActive(uint256 lienId, LienStatus status);
    error RegistryNotLienholder(uint256 lienId, address caller, address holder);
    error RegistryNotLender(address account);
    error RegistryBatchLengthMismatch(uint256 expected, uint256 actual);
    error RegistryUnknownRole(bytes32 role);

    // ---------------------------------------------------------------- events

    event ParticipantAdmitted(address indexed account, bytes32 indexed role, string name);
    event ParticipantRemoved(address indexed account, bytes32 indexed role);
    event LoanLedgerSet(address indexed loanLedger, address indexed registrar);

    event TitleIssued(bytes32 indexed vin, address indexed owner, address indexed registrar, uint64 odometer);
    event TitleTransferred(bytes32 indexed vin, address indexed from, address indexed to, uint32 nonce);
    event TitleStatusChanged(bytes32 indexed vin, TitleStatus status, address indexed actor);
    event OdometerRecorded(bytes32 indexed vin, address indexed recorder, uint64 reading, bool notActual);
    event BrandApplied(bytes32 indexed vin, uint8 indexed brand, address indexed actor, uint32 brands);

    event LienRegistered(uint256 indexed lienId, bytes32 indexed vin, address indexed holder, bool floorPlan);
    event LienReleased(uint256 indexed lienId, bytes32 indexed vin, address indexed holder, ReleaseReason reason);
    event LienAssigned(uint256 indexed lienId, bytes32 indexed vin, address indexed from, address to);

    /// @notice A dealer recorded a sale. `floorPlanLienId` is the first active floor-plan lien at
    /// the moment of the sale (0 if none): a non-zero value is the "sold out of trust" signal.
    event SaleRecorded(
        bytes32 indexed vin,
        address indexed dealer,
        address indexed buyer,
        bytes32 saleRef,
        uint256 floorPlanLienId,
        bool titleTransferred
    );
}
