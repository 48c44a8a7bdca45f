// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IPledges
/// @notice Pledges of loans to funders (warehouse lenders, securitisation trusts, investors). A
/// loan is pledged to at most one funder at a time; only that funder releases the pledge.
interface IPledges {
    /// @notice Why a funder released its pledge.
    enum PledgeReleaseReason {
        Repurchase, // the lender bought the loan back from the pool
        Remittance, // the funder was repaid (the loan's proceeds reached it)
        Sale // the funder sold the loan to another funder: a new pledge follows in the same tx
    }

    error PledgeUnauthorizedAccount(address account, bytes32 neededRole);
    /// @dev The refusal of a second pledge: it names the funder that holds the loan's pledge.
    error PledgeLoanAlreadyPledged(uint256 loanId, uint256 pledgeId, address funder);
    error PledgeNotPledged(uint256 loanId);
    error PledgeNotFunder(uint256 loanId, address caller, address funder);
    error PledgeInvalidReason(uint8 reason);
    error PledgeSameFunder(uint256 loanId, address funder);
    /// @dev A pledged loan's lien was assigned without the funder's consent.
    error PledgeConsentMissing(uint256 loanId, uint256 pledgeId, address funder);
    error PledgeConsentInvalid(uint256 loanId, address funder);
    error PledgeConsentExpired(uint256 loanId, uint256 deadline);

    event LoanPledged(uint256 indexed pledgeId, uint256 indexed loanId, address indexed funder, address lender);
    event PledgeReleased(uint256 indexed pledgeId, uint256 indexed loanId, address indexed funder, uint8 reason);
}
