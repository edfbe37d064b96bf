//! Who may do what with operations records, as the issue assigns it: managers keep staff,
//! rosters, trainings, assets and the contract; agents and the shift leader record
//! inspections and report faults; the county office verifies praise, judges complaints and
//! emergencies and waives faults. Department handlers (county bodies) see none of it.
//!
//! This is a table for the web layer's extractors; if `rexian_domain::Permission` grows
//! operations permissions, this table is what they should say.

use rexian_domain::Role;
use serde::{Deserialize, Serialize};

/// An operations action that needs a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpsAction {
    /// Lists and reports: staff list (masked), rosters, attrition, assets, faults...
    ViewOperations,
    /// Full ID card and mobile numbers of staff.
    ViewStaffPersonalData,
    ManageStaff,
    ManageRoster,
    /// Approve or reject a shift swap (the shift leader; a manager may stand in).
    DecideSwap,
    ManageTrainings,
    ManageAssets,
    RecordInspection,
    ReportFault,
    /// Acknowledge, add notes, restore and close a fault (the operator's maintainers).
    WorkFault,
    WaiveFault,
    RecordEmergency,
    /// Judge consequences and grant force-majeure exemptions.
    JudgeEmergency,
    /// Receive complaints and praise.
    RecordQualityCase,
    /// Quality-control review of a complaint: the provisional verdict.
    ReviewComplaint,
    /// Make a complaint verdict final or revise it.
    FinalizeComplaint,
    VerifyPraise,
    /// Score calls and orders on the review sheet.
    ReviewCalls,
    /// The contract, its bill of quantities and monthly costs.
    ManageContract,
    /// The budget view and the settlement.
    ViewContract,
}

impl OpsAction {
    pub const ALL: [OpsAction; 20] = [
        OpsAction::ViewOperations,
        OpsAction::ViewStaffPersonalData,
        OpsAction::ManageStaff,
        OpsAction::ManageRoster,
        OpsAction::DecideSwap,
        OpsAction::ManageTrainings,
        OpsAction::ManageAssets,
        OpsAction::RecordInspection,
        OpsAction::ReportFault,
        OpsAction::WorkFault,
        OpsAction::WaiveFault,
        OpsAction::RecordEmergency,
        OpsAction::JudgeEmergency,
        OpsAction::RecordQualityCase,
        OpsAction::ReviewComplaint,
        OpsAction::FinalizeComplaint,
        OpsAction::VerifyPraise,
        OpsAction::ReviewCalls,
        OpsAction::ManageContract,
        OpsAction::ViewContract,
    ];

    /// Whether `role` may take this action.
    pub fn allowed(self, role: Role) -> bool {
        use OpsAction as A;
        use Role as R;
        match self {
            A::ViewOperations => !matches!(role, R::DepartmentHandler),
            A::ViewStaffPersonalData
            | A::ManageStaff
            | A::ManageRoster
            | A::ManageTrainings
            | A::ManageAssets
            | A::ManageContract => matches!(role, R::Manager),
            A::DecideSwap
            | A::WorkFault
            | A::RecordEmergency
            | A::ReviewComplaint
            | A::ReviewCalls => {
                matches!(role, R::ShiftLeader | R::Manager)
            }
            A::RecordInspection => matches!(role, R::Agent | R::ShiftLeader | R::Manager),
            // "reported by anyone" of the sub-platform
            A::ReportFault => !matches!(role, R::DepartmentHandler),
            A::WaiveFault | A::JudgeEmergency | A::FinalizeComplaint | A::VerifyPraise => {
                matches!(role, R::CountyOffice)
            }
            A::RecordQualityCase => matches!(role, R::ShiftLeader | R::Manager | R::CountyOffice),
            A::ViewContract => matches!(role, R::Manager | R::CountyOffice),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_handlers_see_nothing_of_operations() {
        for a in OpsAction::ALL {
            assert!(!a.allowed(Role::DepartmentHandler), "{a:?}");
        }
    }

    #[test]
    fn the_issue_s_assignments() {
        let table = [
            (OpsAction::ManageStaff, vec![Role::Manager]),
            (OpsAction::ViewStaffPersonalData, vec![Role::Manager]),
            (
                OpsAction::RecordInspection,
                vec![Role::Agent, Role::ShiftLeader, Role::Manager],
            ),
            (OpsAction::VerifyPraise, vec![Role::CountyOffice]),
            (OpsAction::FinalizeComplaint, vec![Role::CountyOffice]),
            (OpsAction::JudgeEmergency, vec![Role::CountyOffice]),
            (OpsAction::WaiveFault, vec![Role::CountyOffice]),
            (
                OpsAction::DecideSwap,
                vec![Role::ShiftLeader, Role::Manager],
            ),
            (
                OpsAction::ReportFault,
                vec![
                    Role::Agent,
                    Role::ShiftLeader,
                    Role::Manager,
                    Role::CountyOffice,
                    Role::PlatformAdmin,
                ],
            ),
        ];
        for (action, roles) in table {
            for r in Role::ALL {
                assert_eq!(action.allowed(r), roles.contains(&r), "{action:?} {r:?}");
            }
        }
        // the operator cannot grade itself: verification and final verdicts are the county's
        for a in [
            OpsAction::VerifyPraise,
            OpsAction::FinalizeComplaint,
            OpsAction::WaiveFault,
        ] {
            assert!(!a.allowed(Role::Manager) && !a.allowed(Role::ShiftLeader));
        }
    }
}
