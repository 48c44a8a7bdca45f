// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IInsuranceLedger
/// @notice Policies naming a loss payee (the lienholder), claims, and total losses, which brand the
/// title salvage in the registry and tell the loss payee through an indexed event.
interface IInsuranceLedger {
    enum PolicyStatus {
        None,
        Active,
        Cancelled
    }

    enum ClaimStatus {
        None,
        Open,
        Settled,
        Denied
    }

    error InsuranceUnauthorizedAccount(address account, bytes32 neededRole);
    error InsuranceTitleNotFound(bytes32 vin);
    error InsurancePolicyNotFound(uint256 policyId);
    error InsuranceClaimNotFound(uint256 claimId);
    error InsuranceNotInsurer(address caller, address insurer);
    error InsurancePolicyNotActive(uint256 policyId, PolicyStatus status);
    error InsuranceClaimNotOpen(uint256 claimId, ClaimStatus status);
    error InsuranceTotalLossAlreadyDeclared(uint256 claimId);

    event PolicyRecorded(
        uint256 indexed policyId,
        bytes32 indexed vin,
        address indexed insurer,
        address lossPayee,
        bytes32 policyRef,
        uint64 expiresAt
    );
    event LossPayeeChanged(uint256 indexed policyId, address indexed insurer, address lossPayee);
    event PolicyCancelled(uint256 indexed policyId, address indexed insurer);
    event ClaimFiled(
        uint256 indexed claimId,
        uint256 indexed policyId,
        bytes32 indexed vin,
        address insurer,
        bytes32 claimRef,
        uint256 amount
    );
    event ClaimSettled(uint256 indexed claimId, address indexed insurer, address indexed lossPayee, uint256 amount);
    event ClaimDenied(uint256 indexed claimId, address indexed insurer);
    event TotalLossDeclared(
        bytes32 indexed vin,
        uint256 indexed claimId,
        address indexed lossPayee,
        address insurer,
        uint256 policyId,
        bool flood
    );
}
