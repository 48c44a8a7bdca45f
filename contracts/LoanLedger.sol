// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICollateralRegistry} from "./interfaces/ICollateralRegistry.sol";
import {ILoanLedger} from "./interfaces/ILoanLedger.sol";
import {IRegistryModules} from "./interfaces/IRegistryModules.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Pledges} from "./loans/Pledges.sol";

/// @title LoanLedger
/// @notice Anchors each loan's lifecycle to the lien that secures it. Only the current holder of
/// that lien (the servicer) records the loan's events; the loan follows the lien on assignment.
///
/// Lifecycle: Originated -> (disbursement) Active <-> Delinquent -> Defaulted -> Repossessed ->
/// ChargedOff; restructuring returns Active/Delinquent/Defaulted to Active; payoff ends
/// Originated/Active/Delinquent/Defaulted and releases the lien. Loans are pledged to funders
/// through {Pledges}.
contract LoanLedger is ILoanLedger, Pledges {
    bytes32 public constant LENDER_ROLE = keccak256("LENDER_ROLE");

    uint256 private constant _ORIGINATED = 1 << uint8(LoanState.Originated);
    uint256 private constant _ACTIVE = 1 << uint8(LoanState.Active);
    uint256 private constant _DELINQUENT = 1 << uint8(LoanState.Delinquent);
    uint256 private constant _DEFAULTED = 1 << uint8(LoanState.Defaulted);
    uint256 private constant _REPOSSESSED = 1 << uint8(LoanState.Repossessed);
    uint256 private constant _PERFORMING = _ACTIVE | _DELINQUENT;
    uint256 private constant _OUTSTANDING = _ACTIVE | _DELINQUENT | _DEFAULTED;

    /// @dev One slot. `since` is the effective time of the origination, then of the disbursement:
    /// the earliest time the loan's next event may carry.
    struct Loan {
        address lender;
        uint48 lienId;
        LoanState state;
        uint40 since;
    }

    struct Commitments {
        bytes32 terms;
        bytes32 schedule;
    }

    IRegistryModules public immutable registry;
    mapping(uint256 loanId => Loan) private _loans;
    mapping(uint256 loanId => Commitments) private _commitments;
    mapping(uint256 lienId => uint256 loanId) private _loanOfLien;
    uint256 private _nextLoanId = 1;

    constructor(IRegistryModules registry_) EIP712("LoanLedger", "1") {
        registry = registry_;
    }

    /**
     * @notice Originates a loan secured by the caller's active lien, committing salted hashes of
     * its terms and of its repayment schedule.
     *
     * Requirements:
     * - the caller has `LENDER_ROLE` in the registry and holds lien `lienId`, which is active;
     * - no other loan is secured by that lien.
     *
     * Emits {LoanOriginated}.
     */
    function originateLoan(uint256 lienId, bytes32 loanRef, bytes32 termsHash, bytes32 scheduleHash)
        external
        returns (uint256 loanId)
    {
        _requireLender();
        loanId = _nextLoanId++;
        _originate(loanId, lienId, loanRef, termsHash, scheduleHash, 0);
    }

    /**
     * @notice Originates many loans in one transaction (a lender migrating its book), each at its
     * effective time `originatedAts[i]` (0: the block's time). Loan ids are consecutive from the
     * returned one.
     *
     * Requirements: as {originateLoan} for each entry; the arrays have one length; no effective
     * time is later than the block's.
     *
     * Emits {LoanOriginated} for each.
     */
    function originateLoansBatch(
        uint256[] calldata lienIds,
        bytes32[] calldata loanRefs,
        bytes32[] calldata termsHashes,
        bytes32[] calldata scheduleHashes,
        uint64[] calldata originatedAts
    ) external returns (uint256 firstLoanId) {
        _requireLender();
        uint256 n = lienIds.length;
        if (loanRefs.length != n) revert LoanBatchLengthMismatch(n, loanRefs.length);
        if (termsHashes.length != n) revert LoanBatchLengthMismatch(n, termsHashes.length);
        if (scheduleHashes.length != n) revert LoanBatchLengthMismatch(n, scheduleHashes.length);
        if (originatedAts.length != n) revert LoanBatchLengthMismatch(n, originatedAts.length);
        firstLoanId = _nextLoanId;
        for (uint256 i = 0; i < n; ++i) {
            _originate(firstLoanId + i, lienIds[i], loanRefs[i], termsHashes[i], scheduleHashes[i], originatedAts[i]);
        }
        _nextLoanId = firstLoanId + n;
    }

    /**
     * @notice Records the disbursement of the loan's funds; the loan becomes Active.
     *
     * Requirements: the caller is the loan's lender; the loan is Originated; `amount` > 0.
     *
     * Emits {LoanDisbursed}.
     */
    function recordDisbursement(uint256 loanId, uint256 amount) external {
        _disburse(loanId, amount, 0);
    }

    /**
     * @notice Records many disbursements in one transaction (a lender migrating its book), each at
     * its effective time `disbursedAts[i]` (0: the block's time).
     *
     * Requirements: as {recordDisbursement} for each entry; the arrays have one length; no
     * effective time is later than the block's or earlier than the loan's origination.
     *
     * Emits {LoanDisbursed} for each.
     */
    function recordDisbursementsBatch(
        uint256[] calldata loanIds,
        uint256[] calldata amounts,
        uint64[] calldata disbursedAts
    ) external {
        uint256 n = loanIds.length;
        if (amounts.length != n) revert LoanBatchLengthMismatch(n, amounts.length);
        if (disbursedAts.length != n) revert LoanBatchLengthMismatch(n, disbursedAts.length);
        for (uint256 i = 0; i < n; ++i) {
            _disburse(loanIds[i], amounts[i], disbursedAts[i]);
        }
    }

    /**
     * @notice Records a payment received (amount in cents).
     *
     * Requirements: the caller is the loan's lender; the loan is Active, Delinquent or Defaulted;
     * `amount` > 0.
     *
     * Emits {LoanPaymentRecorded}.
     */
    function recordPayment(uint256 loanId, uint256 amount, bytes32 paymentRef) external {
        _pay(loanId, amount, paymentRef, 0);
    }

    /**
     * @notice Records many payments in one transaction (a lender's daily posting file, or the
     * payment history of an imported book), each at its effective time `paidAts[i]` (0: the
     * block's time).
     *
     * Requirements: as {recordPayment} for each entry; the arrays have one length; no effective
     * time is later than the block's or earlier than the loan's disbursement.
     *
     * Emits {LoanPaymentRecorded} for each.
     */
    function recordPaymentsBatch(
        uint256[] calldata loanIds,
        uint256[] calldata amounts,
        bytes32[] calldata refs,
        uint64[] calldata paidAts
    ) external {
        uint256 n = loanIds.length;
        if (amounts.length != n) revert LoanBatchLengthMismatch(n, amounts.length);
        if (refs.length != n) revert LoanBatchLengthMismatch(n, refs.length);
        if (paidAts.length != n) revert LoanBatchLengthMismatch(n, paidAts.length);
        for (uint256 i = 0; i < n; ++i) {
            _pay(loanIds[i], amounts[i], refs[i], paidAts[i]);
        }
    }

    /**
     * @notice Records the loan's days past due as the lender's systems see them; 0 cures it.
     *
     * Requirements: the caller is the loan's lender; the loan is Active or Delinquent.
     *
     * Emits {LoanDelinquencyRecorded}.
     */
    function recordDelinquency(uint256 loanId, uint16 daysPastDue) external {
        Loan storage loan = _servicedLoan(loanId, _PERFORMING);
        loan.state = daysPastDue == 0 ? LoanState.Active : LoanState.Delinquent;
        emit LoanDelinquencyRecorded(loanId, msg.sender, daysPastDue);
    }

    /**
     * @notice Declares the loan in default.
     *
     * Requirements: the caller is the loan's lender; the loan is Active or Delinquent.
     *
     * Emits {LoanDefaulted}.
     */
    function declareDefault(uint256 loanId) external {
        Loan storage loan = _servicedLoan(loanId, _PERFORMING);
        loan.state = LoanState.Defaulted;
        emit LoanDefaulted(loanId, msg.sender);
    }

    /**
     * @notice Restructures the loan: new committed terms and schedule; the loan is Active again.
     *
     * Requirements: the caller is the loan's lender; the loan is Active, Delinquent or Defaulted.
     *
     * Emits {LoanRestructured}.
     */
    function restructureLoan(uint256 loanId, bytes32 termsHash, bytes32 scheduleHash) external {
        Loan storage loan = _servicedLoan(loanId, _OUTSTANDING);
        loan.state = LoanState.Active;
        _commitments[loanId] = Commitments(termsHash, scheduleHash);
        emit LoanRestructured(loanId, msg.sender, termsHash, scheduleHash);
    }

    /**
     * @notice Repossesses the collateral of a defaulted loan: its lien ends and the title passes to
     * the lender.
     *
     * Requirements: the caller is the loan's lender; the loan is Defaulted; its lien is active.
     *
     * Emits {LoanRepossessed} (and, from the registry, {LienReleased} and {TitleTransferred}).
     */
    function repossess(uint256 loanId) external {
        Loan storage loan = _servicedLoan(loanId, _DEFAULTED);
        loan.state = LoanState.Repossessed;
        uint256 lienId = loan.lienId;
        emit LoanRepossessed(loanId, msg.sender, lienId);
        registry.moduleRepossess(lienId, msg.sender);
    }

    /**
     * @notice Records the payoff of the loan and releases its lien if it still stands.
     *
     * Requirements: the caller is the loan's lender; the loan is Originated, Active, Delinquent or
     * Defaulted.
     *
     * Emits {LoanPaidOff} (and, from the registry, {LienReleased}).
     */
    function payOff(uint256 loanId) external {
        Loan storage loan = _servicedLoan(loanId, _ORIGINATED | _OUTSTANDING);
        loan.state = LoanState.PaidOff;
        uint256 lienId = loan.lienId;
        emit LoanPaidOff(loanId, msg.sender, lienId);
        (, , ICollateralRegistry.LienStatus status,) = registry.lienOf(lienId);
        if (status == ICollateralRegistry.LienStatus.Active) registry.moduleReleaseLien(lienId, msg.sender);
    }

    /**
     * @notice Charges the loan off (amount in cents written off).
     *
     * Requirements: the caller is the loan's lender; the loan is Defaulted or Repossessed.
     *
     * Emits {LoanChargedOff}.
     */
    function chargeOff(uint256 loanId, uint256 amount) external {
        Loan storage loan = _servicedLoan(loanId, _DEFAULTED | _REPOSSESSED);
        loan.state = LoanState.ChargedOff;
        emit LoanChargedOff(loanId, msg.sender, amount);
    }

    /// @inheritdoc ILoanLedger
    function onLienAssigned(uint256 lienId, address to, FunderConsent calldata consent) external {
        if (msg.sender != address(registry)) revert LoanUnauthorizedHook(msg.sender);
        uint256 loanId = _loanOfLien[lienId];
        if (loanId == 0) return;
        Loan storage loan = _loans[loanId];
        address from = loan.lender;
        _checkPledgeConsent(loanId, from, to, consent.deadline, consent.signature);
        loan.lender = to;
        emit LoanServicingTransferred(loanId, from, to);
    }

    // ------------------------------------------------------------------ views

    /// @notice A loan's lender, lien, state and committed hashes (state None if unknown).
    function loanOf(uint256 loanId)
        external
        view
        returns (address lender, uint256 lienId, LoanState state, bytes32 termsHash, bytes32 scheduleHash)
    {
        Loan storage loan = _loans[loanId];
        Commitments storage c = _commitments[loanId];
        return (loan.lender, loan.lienId, loan.state, c.terms, c.schedule);
    }

    /// @notice The loan a lien secures (0 if none).
    function loanOfLien(uint256 lienId) external view returns (uint256) {
        return _loanOfLien[lienId];
    }

    /// @notice The loans many liens secure (0 where none), and those loans' states: what an
    /// import checks before it originates, disburses or resumes.
    function loansOfLiens(uint256[] calldata lienIds)
        external
        view
        returns (uint256[] memory loanIds, LoanState[] memory states)
    {
        uint256 n = lienIds.length;
        loanIds = new uint256[](n);
        states = new LoanState[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 loanId = _loanOfLien[lienIds[i]];
            loanIds[i] = loanId;
            states[i] = _loans[loanId].state;
        }
    }

    /// @notice The effective time of a loan's origination, or of its disbursement once disbursed.
    function loanSince(uint256 loanId) external view returns (uint64) {
        return _loans[loanId].since;
    }

    /// @notice The id the next originated loan will get.
    function nextLoanId() external view returns (uint256) {
        return _nextLoanId;
    }

    // --------------------------------------------------------------- internal

    function _requireLender() private view {
        if (!registry.hasRole(LENDER_ROLE, msg.sender)) revert LoanUnauthorizedAccount(msg.sender, LENDER_ROLE);
    }

    function _originate(
        uint256 loanId,
        uint256 lienId,
        bytes32 loanRef,
        bytes32 termsHash,
        bytes32 scheduleHash,
        uint64 requested
    ) private {
        (bytes32 vin, address holder, ICollateralRegistry.LienStatus status,) = registry.lienOf(lienId);
        if (status != ICollateralRegistry.LienStatus.Active) revert LoanLienNotActive(lienId);
        if (holder != msg.sender) revert LoanNotLienholder(lienId, msg.sender, holder);
        uint256 existing = _loanOfLien[lienId];
        if (existing != 0) revert LoanLienAlreadyFinanced(lienId, existing);
        uint64 at = _effective(loanId, requested, 0);
        _loans[loanId] =
            Loan({lender: msg.sender, lienId: uint48(lienId), state: LoanState.Originated, since: uint40(at)});
        _commitments[loanId] = Commitments(termsHash, scheduleHash);
        _loanOfLien[lienId] = loanId;
        emit LoanOriginated(loanId, lienId, msg.sender, vin, loanRef, termsHash, scheduleHash, at);
    }

    function _disburse(uint256 loanId, uint256 amount, uint64 requested) private {
        Loan storage loan = _servicedLoan(loanId, _ORIGINATED);
        if (amount == 0) revert LoanZeroAmount(loanId);
        uint64 at = _effective(loanId, requested, loan.since);
        loan.state = LoanState.Active;
        loan.since = uint40(at);
        emit LoanDisbursed(loanId, msg.sender, amount, at);
    }

    function _pay(uint256 loanId, uint256 amount, bytes32 paymentRef, uint64 requested) private {
        Loan storage loan = _servicedLoan(loanId, _OUTSTANDING);
        if (amount == 0) revert LoanZeroAmount(loanId);
        uint64 at = _effective(loanId, requested, loan.since);
        emit LoanPaymentRecorded(loanId, msg.sender, amount, paymentRef, at);
    }

    /// @dev The effective time of an event: `requested` (0: the block's time), which may be neither
    /// later than the block nor earlier than `earliest`.
    function _effective(uint256 loanId, uint64 requested, uint64 earliest) private view returns (uint64 at) {
        at = requested == 0 ? uint64(block.timestamp) : requested;
        if (at > block.timestamp) revert LoanEffectiveTimeInFuture(loanId, at, block.timestamp);
        if (at < earliest) revert LoanEffectiveTimeTooEarly(loanId, at, earliest);
    }

    function _requirePledgeable(uint256 loanId) internal view override returns (address) {
        _requireLender();
        _servicedLoan(loanId, _ORIGINATED | _OUTSTANDING);
        return msg.sender;
    }

    function _lenderOfPledged(uint256 loanId) internal view override returns (address) {
        return _loans[loanId].lender;
    }

    function _isFunder(address account) internal view override returns (bool) {
        return registry.hasRole(FUNDER_ROLE, account);
    }

    /// @dev The caller's loan `loanId`, which must be in one of the `allowed` states (a bitmap).
    function _servicedLoan(uint256 loanId, uint256 allowed) private view returns (Loan storage loan) {
        loan = _loans[loanId];
        LoanState state = loan.state;
        if (state == LoanState.None) revert LoanNotFound(loanId);
        if (loan.lender != msg.sender) revert LoanNotLender(loanId, msg.sender, loan.lender);
        if (allowed & (1 << uint8(state)) == 0) revert LoanUnexpectedState(loanId, state, bytes32(allowed));
    }
}
