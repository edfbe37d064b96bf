//! Roles of the people who use a sub-platform. Permissions are derived from the role, so a
//! handler asks for a [`Permission`] and never compares role names itself.

use serde::{Deserialize, Serialize};

/// A user's role inside one sub-platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 客服代表 / 话务员: takes calls, registers orders, calls citizens back.
    Agent,
    /// 班长: watches queue and agents, reviews, approves returns and extensions.
    ShiftLeader,
    /// 管理岗: staff, rosters, equipment, the contract and the monthly reports.
    Manager,
    /// 承办单位经办人: bound to one county department; signs and replies to its orders.
    DepartmentHandler,
    /// 县12345办公室: the buyer; oversight, verdicts, verification, settlement.
    CountyOffice,
    /// 平台管理员: users, configuration, rules.
    PlatformAdmin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Agent,
        Role::ShiftLeader,
        Role::Manager,
        Role::DepartmentHandler,
        Role::CountyOffice,
        Role::PlatformAdmin,
    ];

    /// Stable machine code, as stored in the database and used in the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::ShiftLeader => "shift_leader",
            Role::Manager => "manager",
            Role::DepartmentHandler => "department_handler",
            Role::CountyOffice => "county_office",
            Role::PlatformAdmin => "platform_admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The name a county user sees.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Agent => "客服代表",
            Role::ShiftLeader => "班长",
            Role::Manager => "管理岗",
            Role::DepartmentHandler => "承办单位",
            Role::CountyOffice => "县12345办公室",
            Role::PlatformAdmin => "平台管理员",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Agent => "Agent",
            Role::ShiftLeader => "Shift leader",
            Role::Manager => "Manager",
            Role::DepartmentHandler => "Department handler",
            Role::CountyOffice => "County 12345 office",
            Role::PlatformAdmin => "Platform administrator",
        }
    }

    /// Whether this role holds `permission`. The single source of truth for authorization.
    pub fn can(self, permission: Permission) -> bool {
        use Permission as P;
        use Role as R;
        match permission {
            P::ViewPlatform => true,
            P::ManageUsers => matches!(self, R::PlatformAdmin),
            P::ViewUsers => matches!(self, R::PlatformAdmin | R::Manager | R::ShiftLeader),
            P::ManageDepartments => matches!(self, R::PlatformAdmin | R::Manager),
            P::ViewEvents => !matches!(self, R::DepartmentHandler),
            P::ViewCallerPhone => matches!(self, R::Agent | R::ShiftLeader | R::Manager),
            // The telephony integration signs in as a platform administrator account of
            // its own (see ARCHITECTURE.md, calls).
            P::ReportCallEvents => matches!(self, R::PlatformAdmin),
            P::ChangeAgentState => matches!(self, R::Agent | R::ShiftLeader),
            P::ForceAgentState => matches!(self, R::ShiftLeader),
            P::ViewCalls => !matches!(self, R::DepartmentHandler),
            P::HandleCalls => matches!(self, R::Agent | R::ShiftLeader | R::Manager),
            // Operations (issue 5): the same table as `rexian_operations::access::OpsAction`
            // (a test in rexian-web checks they agree).
            P::ViewOperations | P::ReportFault => !matches!(self, R::DepartmentHandler),
            P::ViewStaffPersonalData
            | P::ManageStaff
            | P::ManageRoster
            | P::ManageTrainings
            | P::ManageAssets
            | P::ManageContract => matches!(self, R::Manager),
            P::DecideSwap
            | P::WorkFault
            | P::RecordEmergency
            | P::ReviewComplaint
            | P::ReviewCalls => matches!(self, R::ShiftLeader | R::Manager),
            P::RecordInspection | P::RequestSwap => {
                matches!(self, R::Agent | R::ShiftLeader | R::Manager)
            }
            P::WaiveFault | P::JudgeEmergency | P::FinalizeComplaint | P::VerifyPraise => {
                matches!(self, R::CountyOffice)
            }
            P::RecordQualityCase => matches!(self, R::ShiftLeader | R::Manager | R::CountyOffice),
            P::ViewContract => matches!(self, R::Manager | R::CountyOffice),
            P::ManageCalendar => matches!(self, R::PlatformAdmin),
            P::RelateOrders => matches!(self, R::Agent | R::ShiftLeader),
            P::AttachToOrders => matches!(self, R::Agent | R::ShiftLeader | R::DepartmentHandler),
            P::ViewAssessment => matches!(
                self,
                R::CountyOffice | R::Manager | R::ShiftLeader | R::PlatformAdmin
            ),
        }
    }
}

/// Something a request may need to be allowed to do. Handlers name one in their extractor's
/// type, so a handler without a permission does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Any signed-in user of the sub-platform.
    ViewPlatform,
    ManageUsers,
    ViewUsers,
    ManageDepartments,
    /// Read the audit trail (department handlers see only their orders' events, later).
    ViewEvents,
    /// See a caller's full phone number instead of the masked form.
    ViewCallerPhone,
    /// Report call events to the live ACD (the telephony system's account).
    ReportCallEvents,
    /// Sign in to a seat, go ready, take a break, sign out: one's own agent state.
    ChangeAgentState,
    /// Move another agent to a state (the shift leader, 班长).
    ForceAgentState,
    /// See the live queue and agents, call records and call figures.
    ViewCalls,
    /// Work on calls: link a call to its work order, call missed callers back.
    HandleCalls,
    // ---- operations (issue 5) ----
    /// Operations lists and reports: staff (masked), assets, faults, attrition...
    ViewOperations,
    /// Full ID card and mobile numbers of staff.
    ViewStaffPersonalData,
    ManageStaff,
    ManageRoster,
    /// Approve or reject a shift swap.
    DecideSwap,
    ManageTrainings,
    ManageAssets,
    RecordInspection,
    ReportFault,
    /// Acknowledge, note, restore and close a fault.
    WorkFault,
    WaiveFault,
    RecordEmergency,
    /// Judge an emergency's consequences; grant force-majeure exemption.
    JudgeEmergency,
    /// Receive complaints and praise.
    RecordQualityCase,
    /// Quality control's provisional complaint verdict.
    ReviewComplaint,
    /// Make a complaint verdict final or revise it.
    FinalizeComplaint,
    VerifyPraise,
    ReviewCalls,
    ManageContract,
    ViewContract,
    /// Ask for a shift swap (the operator's staff); the shift leader decides it.
    RequestSwap,
    /// Set a year's holiday schedule (public holidays and 调休 make-up days).
    ManageCalendar,
    /// Relate two orders (关联工单).
    RelateOrders,
    /// Record an attachment's metadata on an order the user may see.
    AttachToOrders,
    /// The assessment (平台考核): scores, the records behind them, the live view.
    ViewAssessment,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn only_admin_manages_users() {
        for r in Role::ALL {
            assert_eq!(r.can(Permission::ManageUsers), r == Role::PlatformAdmin);
        }
    }

    #[test]
    fn department_handler_and_county_office_never_see_caller_phone() {
        assert!(!Role::DepartmentHandler.can(Permission::ViewCallerPhone));
        assert!(!Role::CountyOffice.can(Permission::ViewCallerPhone));
        assert!(Role::Agent.can(Permission::ViewCallerPhone));
    }
}
