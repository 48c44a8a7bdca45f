// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICollateralRegistry} from "./interfaces/ICollateralRegistry.sol";
import {IInsuranceLedger} from "./interfaces/IInsuranceLedger.sol";
import {IRegistryModules} from "./interfaces/IRegistryModules.sol";

/// @title InsuranceLedger
/// @notice Insurers record policies on vehicles with the lienholder as loss payee, claims against
/// them, and total losses, which brand the title salvage in the registry. Every event naming a
/// loss payee indexes it, so a lienholder can follow what concerns its collateral.
contract InsuranceLedger is IInsuranceLedger {
    bytes32 public constant INSURER_ROLE = keccak256("INSURER_ROLE");

    struct Policy {
        bytes32 vin;
        address insurer;
        PolicyStatus status;
        uint64 expiresAt;
        address lossPayee;
    }

    struct Claim {
        uint256 policyId;
        ClaimStatus status;
        bool totalLoss;
    }

    IRegistryModules public immutable registry;
    mapping(uint256 policyId => Policy) private _policies;
    mapping(uint256 claimId => Claim) private _claims;
    uint256 private _nextPolicyId = 1;
    uint256 private _nextClaimId = 1;

    constructor(IRegistryModules registry_) {
        registry = registry_;
    }

    /**
     * @notice Records a policy on `vin` naming `lossPayee` (usually the first-priority lienholder;
     * zero when the vehicle is unencumbered).
     *
     * Requirements: the caller has `INSURER_ROLE` in the registry; the title exists.
     *
     * Emits {PolicyRecorded}.
     */
    function recordPolicy(bytes32 vin, address lossPayee, bytes32 policyRef, uint64 expiresAt)
        external
        returns (uint256 policyId)
    {
        if (!registry.hasRole(INSURER_ROLE, msg.sender)) {
            revert InsuranceUnauthorizedAccount(msg.sender, INSURER_ROLE);
        }
        (, ICollateralRegistry.TitleStatus status,,,,) = registry.titleOf(vin);
        if (status == ICollateralRegistry.TitleStatus.None) revert InsuranceTitleNotFound(vin);
        policyId = _nextPolicyId++;
        _policies[policyId] = Policy(vin, msg.sender, PolicyStatus.Active, expiresAt, lossPayee);
        emit PolicyRecorded(policyId, vin, msg.sender, lossPayee, policyRef, expiresAt);
    }

    /**
     * @notice Names a new loss payee (the lien was assigned, paid off, or a new lender financed).
     *
     * Requirements: the caller is the policy's insurer; the policy is active.
     *
     * Emits {LossPayeeChanged}.
     */
    function changeLossPayee(uint256 policyId, address lossPayee) external {
        Policy storage p = _activePolicy(policyId);
        p.lossPayee = lossPayee;
        emit LossPayeeChanged(policyId, msg.sender, lossPayee);
    }

    /**
     * @notice Cancels a policy.
     *
     * Requirements: the caller is the policy's insurer; the policy is active.
     *
     * Emits {PolicyCancelled}.
     */
    function cancelPolicy(uint256 policyId) external {
        Policy storage p = _activePolicy(policyId);
        p.status = PolicyStatus.Cancelled;
        emit PolicyCancelled(policyId, msg.sender);
    }

    /**
     * @notice Files a claim against a policy (amount claimed, in cents).
     *
     * Requirements: the caller is the policy's insurer; the policy is active.
     *
     * Emits {ClaimFiled}.
     */
    function fileClaim(uint256 policyId, bytes32 claimRef, uint256 amount) external returns (uint256 claimId) {
        Policy storage p = _activePolicy(policyId);
        claimId = _nextClaimId++;
        _claims[claimId] = Claim(policyId, ClaimStatus.Open, false);
        emit ClaimFiled(claimId, policyId, p.vin, msg.sender, claimRef, amount);
    }

    /**
     * @notice Settles an open claim, paying `amount` (cents) to the policy's loss payee.
     *
     * Requirements: the caller is the policy's insurer; the claim is open.
     *
     * Emits {ClaimSettled}.
     */
    function settleClaim(uint256 claimId, uint256 amount) external {
        (Claim storage c, Policy storage p) = _openClaim(claimId);
        c.status = ClaimStatus.Settled;
        emit ClaimSettled(claimId, msg.sender, p.lossPayee, amount);
    }

    /**
     * @notice Denies an open claim.
     *
     * Requirements: the caller is the policy's insurer; the claim is open.
     *
     * Emits {ClaimDenied}.
     */
    function denyClaim(uint256 claimId) external {
        (Claim storage c,) = _openClaim(claimId);
        c.status = ClaimStatus.Denied;
        emit ClaimDenied(claimId, msg.sender);
    }

    /**
     * @notice Declares the vehicle of an open claim a total loss: the title is branded salvage
     * (and flood when `flood`), and the loss payee is told through the indexed event.
     *
     * Requirements: the caller is the policy's insurer; the claim is open and not yet a total loss.
     *
     * Emits {TotalLossDeclared} (and, from the registry, {BrandApplied} and {TitleStatusChanged}).
     */
    function declareTotalLoss(uint256 claimId, bool flood) external {
        (Claim storage c, Policy storage p) = _openClaim(claimId);
        if (c.totalLoss) revert InsuranceTotalLossAlreadyDeclared(claimId);
        c.totalLoss = true;
        bytes32 vin = p.vin;
        emit TotalLossDeclared(vin, claimId, p.lossPayee, msg.sender, c.policyId, flood);
        registry.moduleRecordTotalLoss(vin, msg.sender, flood);
    }

    // ------------------------------------------------------------------ views

    /// @notice A policy (status None if unknown).
    function policyOf(uint256 policyId)
        external
        view
        returns (bytes32 vin, address insurer, PolicyStatus status, uint64 expiresAt, address lossPayee)
    {
        Policy storage p = _policies[policyId];
        return (p.vin, p.insurer, p.status, p.expiresAt, p.lossPayee);
    }

    /// @notice A claim (status None if unknown).
    function claimOf(uint256 claimId) external view returns (uint256 policyId, ClaimStatus status, bool totalLoss) {
        Claim storage c = _claims[claimId];
        return (c.policyId, c.status, c.totalLoss);
    }

    // --------------------------------------------------------------- internal

    function _activePolicy(uint256 policyId) private view returns (Policy storage p) {
        p = _policies[policyId];
        PolicyStatus status = p.status;
        if (status == PolicyStatus.None) revert InsurancePolicyNotFound(policyId);
        if (p.insurer != msg.sender) revert InsuranceNotInsurer(msg.sender, p.insurer);
        if (status != PolicyStatus.Active) revert InsurancePolicyNotActive(policyId, status);
    }

    function _openClaim(uint256 claimId) private view returns (Claim storage c, Policy storage p) {
        c = _claims[claimId];
        ClaimStatus status = c.status;
        if (status == ClaimStatus.None) revert InsuranceClaimNotFound(claimId);
        p = _policies[c.policyId];
        if (p.insurer != msg.sender) revert InsuranceNotInsurer(msg.sender, p.insurer);
        if (status != ClaimStatus.Open) revert InsuranceClaimNotOpen(claimId, status);
    }
}
