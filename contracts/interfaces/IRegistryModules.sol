// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICollateralRegistry} from "./ICollateralRegistry.sol";

/// @title IRegistryModules
/// @notice What the loan and insurance ledgers use of {CollateralRegistry}.
interface IRegistryModules {
    function hasRole(bytes32 role, address account) external view returns (bool);

    function lienOf(uint256 lienId)
        external
        view
        returns (bytes32 vin, address holder, ICollateralRegistry.LienStatus status, bool floorPlan);

    function titleOf(bytes32 vin)
        external
        view
        returns (
            address owner,
            ICollateralRegistry.TitleStatus status,
            uint16 activeLiens,
            uint64 odometer,
            uint32 brands,
            uint24 transfers
        );

    function moduleReleaseLien(uint256 lienId, address holder) external;

    function moduleRepossess(uint256 lienId, address holder) external;

    function moduleRecordTotalLoss(bytes32 vin, address insurer, bool flood) external;
}
