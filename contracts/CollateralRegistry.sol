// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ILoanLedger} from "./interfaces/ILoanLedger.sol";
import {Titles} from "./registry/Titles.sol";
import {Liens} from "./registry/Liens.sol";

/// @title CollateralRegistry
/// @notice The shared record of vehicle titles and the security interests against them. The
/// registrar admits participants; lenders, dealers, insurers and owners act within their roles.
/// The loan and insurance ledgers act on liens and titles through the module entry points.
contract CollateralRegistry is Titles, Liens {
    constructor(address registrar) EIP712("CollateralRegistry", "1") {
        if (registrar == address(0)) revert RegistryInvalidAddress(registrar);
        _setRoleAdmin(REGISTRAR_ROLE, REGISTRAR_ROLE);
        _setRoleAdmin(LENDER_ROLE, REGISTRAR_ROLE);
        _setRoleAdmin(DEALER_ROLE, REGISTRAR_ROLE);
        _setRoleAdmin(INSURER_ROLE, REGISTRAR_ROLE);
        _setRoleAdmin(FUNDER_ROLE, REGISTRAR_ROLE);
        _setRoleAdmin(MODULE_ROLE, REGISTRAR_ROLE);
        _grantRole(REGISTRAR_ROLE, registrar);
    }

    // ----------------------------------------------------------- participants

    /**
     * @notice Admits `account` as a participant in `role`, under a business name.
     *
     * Requirements: the caller has `REGISTRAR_ROLE`; `role` is one of the participant roles;
     * `account` is not the zero address.
     *
     * Emits {ParticipantAdmitted} (and {RoleGranted} when the role is new to the account).
     */
    function admitParticipant(address account, bytes32 role, string calldata name)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        if (
            role != LENDER_ROLE && role != DEALER_ROLE && role != INSURER_ROLE && role != FUNDER_ROLE
                && role != REGISTRAR_ROLE
        ) {
            revert RegistryUnknownRole(role);
        }
        if (account == address(0)) revert RegistryInvalidAddress(account);
        _grantRole(role, account);
        emit ParticipantAdmitted(account, role, name);
    }

    /**
     * @notice Removes `account` from `role`. Its past records stay; it can no longer act in the role.
     *
     * Requirements: the caller has `REGISTRAR_ROLE`.
     *
     * Emits {ParticipantRemoved} (and {RoleRevoked} when the account held the role).
     */
    function removeParticipant(address account, bytes32 role) external onlyRole(REGISTRAR_ROLE) {
        _revokeRole(role, account);
        emit ParticipantRemoved(account, role);
    }

    /**
     * @notice Sets the loan ledger told about lien assignments.
     *
     * Requirements: the caller has `REGISTRAR_ROLE`.
     *
     * Emits {LoanLedgerSet}.
     */
    function setLoanLedger(ILoanLedger ledger) external onlyRole(REGISTRAR_ROLE) {
        loanLedger = ledger;
        emit LoanLedgerSet(address(ledger), msg.sender);
    }

    // ---------------------------------------------------------------- modules

    /**
     * @notice Releases, as paid off, an active lien held by `holder`: the loan ledger on payoff.
     *
     * Requirements: the caller has `MODULE_ROLE`; the lien is active and held by `holder`.
     *
     * Emits {LienReleased}.
     */
    function moduleReleaseLien(uint256 lienId, address holder) external onlyRole(MODULE_ROLE) {
        _endLien(lienId, holder, ReleaseReason.Payoff);
    }

    /**
     * @notice Repossession for the loan ledger: the lien held by `holder` ends and the title passes
     * to `holder`. Other liens stay as they are.
     *
     * Requirements: the caller has `MODULE_ROLE`; the lien is active and held by `holder`.
     *
     * Emits {LienReleased} and {TitleTransferred}.
     */
    function moduleRepossess(uint256 lienId, address holder) external onlyRole(MODULE_ROLE) {
        bytes32 vin = _endLien(lienId, holder, ReleaseReason.Repossession);
        Title storage t = _titles[vin];
        address owner = t.owner;
        if (owner != holder) _moveTitle(vin, t, owner, holder);
    }

    /**
     * @notice A total loss declared by an insurer through the insurance ledger: the title is
     * branded salvage (and flood, if so) and its status becomes TotalLoss.
     *
     * Requirements: the caller has `MODULE_ROLE`; the title exists.
     *
     * Emits {BrandApplied} for each new brand and {TitleStatusChanged}.
     */
    function moduleRecordTotalLoss(bytes32 vin, address insurer, bool flood) external onlyRole(MODULE_ROLE) {
        Title storage t = _existingTitle(vin);
        uint32 brands = _records[vin].brands;
        if (flood && brands & (uint32(1) << BRAND_FLOOD) == 0) _applyBrand(vin, BRAND_FLOOD, insurer);
        if (brands & (uint32(1) << BRAND_SALVAGE) == 0) {
            _applyBrand(vin, BRAND_SALVAGE, insurer);
        } else if (t.status == TitleStatus.Active) {
            t.status = TitleStatus.TotalLoss; // a rebuilt vehicle totalled again
            emit TitleStatusChanged(vin, TitleStatus.TotalLoss, insurer);
        }
    }

    /// @notice The EIP-712 domain separator consents are signed under.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }
}
