// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ICollateralRegistry} from "../interfaces/ICollateralRegistry.sol";

/// @title RegistryBase
/// @notice Storage layout, roles, brands and shared internal helpers of {CollateralRegistry}.
/// @dev Storage is packed so that the hot paths touch as few slots as possible: a title's
/// ownership and lien bookkeeping share one slot; a lien fits in two.
abstract contract RegistryBase is ICollateralRegistry, AccessControl, EIP712 {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    bytes32 public constant LENDER_ROLE = keccak256("LENDER_ROLE");
    bytes32 public constant DEALER_ROLE = keccak256("DEALER_ROLE");
    bytes32 public constant INSURER_ROLE = keccak256("INSURER_ROLE");
    bytes32 public constant FUNDER_ROLE = keccak256("FUNDER_ROLE");
    /// @notice Held by the loan and insurance ledgers, which act on liens and titles for their callers.
    bytes32 public constant MODULE_ROLE = keccak256("MODULE_ROLE");

    uint8 public constant BRAND_SALVAGE = 0;
    uint8 public constant BRAND_REBUILT = 1;
    uint8 public constant BRAND_FLOOD = 2;
    uint8 public constant BRAND_JUNK = 3;
    uint8 public constant BRAND_ODOMETER_NOT_ACTUAL = 4;
    uint8 public constant BRAND_STOLEN = 5;
    uint8 public constant BRAND_RECOVERED_THEFT = 6;
    uint8 public constant BRAND_LEMON = 7;
    uint8 public constant BRAND_FIRE = 8;
    uint8 public constant BRAND_HAIL = 9;
    uint8 internal constant _BRAND_COUNT = 10;

    bytes32 public constant TRANSFER_CONSENT_TYPEHASH = keccak256(
        "TransferConsent(bytes32 vin,uint256 lienId,address from,address to,uint32 nonce,bool release,uint256 deadline)"
    );

    /// @dev Bit c set when ASCII byte c may appear in a VIN: 0-9 and A-Z without I, O, Q.
    uint256 private constant _VIN_CHARSET = 0x7fd7dfe03ff000000000000;

    /// @dev One slot: who owns it, its status, and the lien bookkeeping a transfer checks.
    struct Title {
        address owner;
        TitleStatus status;
        uint16 activeLiens;
        uint48 lastLienId; // head of the VIN's lien list (newest first), linked by Lien.prevLienId
        uint24 transfers; // transfer count: the nonce a lienholder's consent signs
    }

    /// @dev Slot two of a title: history that only ever grows.
    struct TitleRecord {
        uint64 odometer;
        uint32 brands; // bit i set once brand i was applied; never cleared
    }

    struct Lien {
        bytes32 vin;
        address holder;
        uint48 prevLienId;
        LienStatus status;
        bool floorPlan;
    }

    mapping(bytes32 vin => Title) internal _titles;
    mapping(bytes32 vin => TitleRecord) internal _records;
    mapping(uint256 lienId => Lien) internal _liens;
    uint256 internal _nextLienId = 1;

    /// @dev Reverts unless `vin` is 17 VIN characters, left-aligned and zero-padded.
    function _checkVin(bytes32 vin) internal pure {
        if (uint256(vin) & type(uint120).max != 0) revert RegistryInvalidVin(vin);
        for (uint256 i = 0; i < 17; ++i) {
            if ((_VIN_CHARSET >> uint8(vin[i])) & 1 == 0) revert RegistryInvalidVin(vin);
        }
    }

    /// @dev The title of `vin`, reverting if none was issued.
    function _existingTitle(bytes32 vin) internal view returns (Title storage t) {
        t = _titles[vin];
        if (t.status == TitleStatus.None) revert RegistryTitleNotFound(vin);
    }

    /// @dev Reverts if the title's status forbids a transfer or a new lien.
    function _requireTransferable(bytes32 vin, TitleStatus status) internal pure {
        if (status == TitleStatus.Stolen || status == TitleStatus.Scrapped) {
            revert RegistryTitleStatusForbids(vin, status);
        }
    }

    function _moveTitle(bytes32 vin, Title storage t, address from, address to) internal {
        uint24 nonce = t.transfers + 1;
        t.owner = to;
        t.transfers = nonce;
        emit TitleTransferred(vin, from, to, nonce);
    }

    /// @dev Ends an active lien held by `caller`. Returns the VIN it was on.
    function _endLien(uint256 lienId, address caller, ReleaseReason reason) internal returns (bytes32 vin) {
        Lien storage l = _liens[lienId];
        LienStatus status = l.status;
        address holder = l.holder;
        if (status != LienStatus.Active) {
            if (status == LienStatus.None) revert RegistryLienNotFound(lienId);
            revert RegistryLienNotActive(lienId, status);
        }
        if (holder != caller) revert RegistryNotLienholder(lienId, caller, holder);
        vin = l.vin;
        l.status = reason == ReleaseReason.Repossession ? LienStatus.Repossessed : LienStatus.Released;
        _titles[vin].activeLiens -= 1;
        emit LienReleased(lienId, vin, holder, reason);
    }

    function _applyBrand(bytes32 vin, uint8 brand, address actor) internal {
        if (brand >= _BRAND_COUNT) revert RegistryUnknownBrand(brand);
        TitleRecord storage r = _records[vin];
        uint32 brands = r.brands;
        if (brands & (uint32(1) << brand) != 0) revert RegistryBrandAlreadyApplied(vin, brand);
        if (brand == BRAND_REBUILT && brands & (uint32(1) << BRAND_SALVAGE) == 0) {
            revert RegistryBrandRequires(vin, brand, BRAND_SALVAGE);
        }
        if (brand == BRAND_RECOVERED_THEFT && brands & (uint32(1) << BRAND_STOLEN) == 0) {
            revert RegistryBrandRequires(vin, brand, BRAND_STOLEN);
        }
        brands |= uint32(1) << brand;
        r.brands = brands;
        emit BrandApplied(vin, brand, actor, brands);
        _statusAfterBrand(vin, brand, brands, actor);
    }

    /// @dev Brands that change what may be done with the vehicle move its status.
    /// A stolen title stays Stolen until recovered, whatever else it is branded meanwhile.
    function _statusAfterBrand(bytes32 vin, uint8 brand, uint32 brands, address actor) private {
        Title storage t = _titles[vin];
        TitleStatus status = t.status;
        TitleStatus next = status;
        if (status == TitleStatus.Scrapped) return; // junk is final
        if (brand == BRAND_JUNK) next = TitleStatus.Scrapped;
        else if (brand == BRAND_STOLEN) next = TitleStatus.Stolen;
        else if (brand == BRAND_SALVAGE && status != TitleStatus.Stolen) next = TitleStatus.TotalLoss;
        else if (brand == BRAND_REBUILT && status == TitleStatus.TotalLoss) next = TitleStatus.Active;
        else if (brand == BRAND_RECOVERED_THEFT && status == TitleStatus.Stolen) {
            bool unrebuiltSalvage = brands & (uint32(1) << BRAND_SALVAGE) != 0
                && brands & (uint32(1) << BRAND_REBUILT) == 0;
            next = unrebuiltSalvage ? TitleStatus.TotalLoss : TitleStatus.Active;
        }
        if (next != status) {
            t.status = next;
            emit TitleStatusChanged(vin, next, actor);
        }
    }
}
