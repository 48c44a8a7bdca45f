// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILoanLedger
/// @notice The on-chain anchor of a loan's lifecycle. Terms and schedule live off-chain, committed
/// by salted hash; payments carry their public amount (cents) so delinquency can be derived.
interface ILoanLedger {
    enum LoanState {
        None,
        Originated,
        Active,
        Delinquent,
        Defaulted,
        PaidOff,
        Repossessed,
        ChargedOff
    }

    /// @notice A funder's signed consent (EIP-712 `PledgeConsent`) to one assignment of the lien of
    /// a loan pledged to it; empty (no signature) when the loan is not pledged.
    struct FunderConsent {
        uint256 deadline; // unix time after which the consent is void
        bytes signature; // EIP-712 signature of PledgeConsent by the funder holding the pledge
    }

    error LoanNotFound(uint256 loanId);
    error LoanUnauthorizedAccount(address account, bytes32 neededRole);
    error LoanLienNotActive(uint256 lienId);
    error LoanNotLienholder(uint256 lienId, address caller, address holder);
    error LoanNotLender(uint256 loanId, address caller, address lender);
    /// @dev `allowedStates` is a bitmap: bit i set means LoanState(i) would have been accepted.
    error LoanUnexpectedState(uint256 loanId, LoanState current, bytes32 allowedStates);
    error LoanLienAlreadyFinanced(uint256 lienId, uint256 loanId);
    error LoanZeroAmount(uint256 loanId);
    error LoanUnauthorizedHook(address caller);
    error LoanBatchLengthMismatch(uint256 expected, uint256 actual);
    /// @dev An effective time (origination, disbursement, payment) later than the block's.
    error LoanEffectiveTimeInFuture(uint256 loanId, uint64 at, uint256 blockTime);
    /// @dev An effective time before the loan's origination (disbursement) or disbursement (payment).
    error LoanEffectiveTimeTooEarly(uint256 loanId, uint64 at, uint64 earliest);

    event LoanOriginated(
        uint256 indexed loanId,
        uint256 indexed lienId,
        address indexed lender,
        bytes32 vin,
        bytes32 loanRef,
        bytes32 termsHash,
        bytes32 scheduleHash,
        uint64 originatedAt
    );
    /// @dev `disbursedAt` / `paidAt` / `originatedAt`: when it happened (unix seconds), the block's
    /// time unless an imported book gave an earlier one.
    event LoanDisbursed(uint256 indexed loanId, address indexed lender, uint256 amount, uint64 disbursedAt);
    event LoanPaymentRecorded(
        uint256 indexed loanId, address indexed lender, uint256 amount, bytes32 paymentRef, uint64 paidAt
    );
    event LoanDelinquencyRecorded(uint256 indexed loanId, address indexed lender, uint16 daysPastDue);
    event LoanDefaulted(uint256 indexed loanId, address indexed lender);
    event LoanRestructured(uint256 indexed loanId, address indexed lender, bytes32 termsHash, bytes32 scheduleHash);
    event LoanRepossessed(uint256 indexed loanId, address indexed lender, uint256 lienId);
    event LoanPaidOff(uint256 indexed loanId, address indexed lender, uint256 lienId);
    event LoanChargedOff(uint256 indexed loanId, address indexed lender, uint256 amount);
    event LoanServicingTransferred(uint256 indexed loanId, address indexed from, address indexed to);

    /// @notice Called by the registry when a lien is assigned, so the loan it secures follows it.
    /// A pledged loan's assignment needs `consent`, the funder's signed consent (see {Pledges}).
    function onLienAssigned(uint256 lienId, address to, FunderConsent calldata consent) external;
}
