//! The work-order state machine.
//!
//! `apply` takes the order as stored, an action, who does it and when, and returns either the
//! whole new order with the event to log, or an error that maps onto one HTTP status:
//! 403 when the actor may never do this action (or is not the order's lead department),
//! 409 when the order's state does not allow it, 422 when the action's data breaks a rule.
//! Checks run in that order, so a department handler poking at another department's order
//! learns nothing about its state. Nothing is half-applied: the input is never modified.
//!
//! Who does what (the roles):
//! - agent (客服代表): registers, resolves directly, submits for dispatch, transfers to
//!   emergency services, calls back, closes;
//! - shift leader (班长): dispatches and redispatches, reviews replies, approves or refuses
//!   returns and extensions, merges, invalidates, reopens, closes, transfers to emergency;
//! - department handler (承办单位), only on orders its department leads: signs, starts,
//!   replies, asks for a return or an extension;
//! - shift leader, county office and the system (timers): remind (催办) and supervise (督办).

use chrono::{DateTime, Utc};
use rexian_domain::Role;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError, to_local_rfc3339};
use crate::deadline::{Deadline, DeadlineKind, OrderDeadlines};
use crate::limits::{TimeLimit, TimeLimits};
use crate::order::{
    CallbackOutcome, DepartmentCode, EmergencyService, InvalidCategory, OrderNumber, OrderState,
    RequestKind, SupervisionLevel,
};
use crate::timers::FiredTimer;

/// Longest free text accepted for a reason (退单理由, 退回意见…), in characters.
pub const MAX_REASON_CHARS: usize = 1000;
/// Longest answer or reply text, in characters.
pub const MAX_REPLY_CHARS: usize = 5000;
/// Most assisting departments (协办单位) on one order.
pub const MAX_ASSISTING_DEPARTMENTS: usize = 10;

/// Who performs an action.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// The server itself: deadline timers, imports from the provincial platform.
    System,
    /// A signed-in user; a department handler carries the department it belongs to.
    User {
        role: Role,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        department: Option<DepartmentCode>,
    },
}

impl Actor {
    pub fn user(role: Role) -> Actor {
        Actor::User {
            role,
            department: None,
        }
    }

    pub fn department_handler(department: DepartmentCode) -> Actor {
        Actor::User {
            role: Role::DepartmentHandler,
            department: Some(department),
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::System => None,
            Actor::User { role, .. } => Some(*role),
        }
    }
}

/// The kind of an action, without its data: for permissions, the 409 body and UI buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Creating the order (`register`); legal in no state, listed for permissions.
    Register,
    ResolveDirectly,
    SubmitForDispatch,
    Dispatch,
    Redispatch,
    Sign,
    Start,
    Reply,
    ApproveReply,
    RejectReply,
    Callback,
    Close,
    Reopen,
    RequestReturn,
    ApproveReturn,
    RefuseReturn,
    RequestExtension,
    ApproveExtension,
    RefuseExtension,
    Merge,
    Invalidate,
    TransferToEmergency,
    Remind,
    Supervise,
}

coded_enum!(ActionKind {
    Register => ("register", "登记受理", "Register"),
    ResolveDirectly => ("resolve_directly", "直接办结", "Resolve directly"),
    SubmitForDispatch => ("submit_for_dispatch", "提交派单", "Submit for dispatch"),
    Dispatch => ("dispatch", "派单", "Dispatch"),
    Redispatch => ("redispatch", "改派", "Redispatch"),
    Sign => ("sign", "签收", "Sign for"),
    Start => ("start", "开始办理", "Start handling"),
    Reply => ("reply", "答复", "Reply"),
    ApproveReply => ("approve_reply", "审核通过", "Approve reply"),
    RejectReply => ("reject_reply", "审核退回", "Reject reply"),
    Callback => ("callback", "回访", "Record callback"),
    Close => ("close", "办结归档", "Close"),
    Reopen => ("reopen", "重办", "Reopen"),
    RequestReturn => ("request_return", "申请退单", "Request return"),
    ApproveReturn => ("approve_return", "同意退单", "Approve return"),
    RefuseReturn => ("refuse_return", "驳回退单", "Refuse return"),
    RequestExtension => ("request_extension", "申请延期", "Request extension"),
    ApproveExtension => ("approve_extension", "同意延期", "Approve extension"),
    RefuseExtension => ("refuse_extension", "驳回延期", "Refuse extension"),
    Merge => ("merge", "并单", "Merge"),
    Invalidate => ("invalidate", "无效处理", "Mark invalid"),
    TransferToEmergency => ("transfer_to_emergency", "转应急联动", "Transfer to emergency services"),
    Remind => ("remind", "催办", "Remind"),
    Supervise => ("supervise", "督办", "Supervise"),
});

impl ActionKind {
    /// The roles that may do this action (department handlers only on their own orders).
    pub fn roles(self) -> &'static [Role] {
        use ActionKind as A;
        match self {
            A::Register => &[Role::Agent, Role::ShiftLeader],
            A::ResolveDirectly | A::SubmitForDispatch | A::Callback => &[Role::Agent],
            A::Close | A::TransferToEmergency => &[Role::Agent, Role::ShiftLeader],
            A::Dispatch
            | A::Redispatch
            | A::ApproveReply
            | A::RejectReply
            | A::Reopen
            | A::ApproveReturn
            | A::RefuseReturn
            | A::ApproveExtension
            | A::RefuseExtension
            | A::Merge
            | A::Invalidate => &[Role::ShiftLeader],
            A::Sign | A::Start | A::Reply | A::RequestReturn | A::RequestExtension => {
                &[Role::DepartmentHandler]
            }
            A::Remind | A::Supervise => &[Role::ShiftLeader, Role::CountyOffice],
        }
    }

    /// Whether the system actor may do it: timers remind and supervise; orders sent down by
    /// the provincial platform are registered by the import.
    pub fn system_may(self) -> bool {
        matches!(
            self,
            ActionKind::Register | ActionKind::Remind | ActionKind::Supervise
        )
    }

    /// Actions a department handler may do only on orders its department leads.
    pub fn needs_lead_department(self) -> bool {
        matches!(
            self,
            ActionKind::Sign
                | ActionKind::Start
                | ActionKind::Reply
                | ActionKind::RequestReturn
                | ActionKind::RequestExtension
        )
    }

    pub fn may_be_done_by(self, actor: &Actor) -> bool {
        match actor {
            Actor::System => self.system_may(),
            Actor::User { role, .. } => self.roles().contains(role),
        }
    }

    pub fn is_legal_in(self, state: OrderState) -> bool {
        legal_actions(state).contains(&self)
    }

    /// The event type logged when this action succeeds.
    pub fn event_type(self) -> &'static str {
        use ActionKind as A;
        match self {
            A::Register => "order.registered",
            A::ResolveDirectly => "order.resolved_directly",
            A::SubmitForDispatch => "order.submitted",
            A::Dispatch => "order.dispatched",
            A::Redispatch => "order.redispatched",
            A::Sign => "order.signed",
            A::Start => "order.started",
            A::Reply => "order.replied",
            A::ApproveReply => "order.reply_approved",
            A::RejectReply => "order.reply_rejected",
            A::Callback => "order.called_back",
            A::Close => "order.closed",
            A::Reopen => "order.reopened",
            A::RequestReturn => "order.return_requested",
            A::ApproveReturn => "order.return_approved",
            A::RefuseReturn => "order.return_refused",
            A::RequestExtension => "order.extension_requested",
            A::ApproveExtension => "order.extension_approved",
            A::RefuseExtension => "order.extension_refused",
            A::Merge => "order.merged",
            A::Invalidate => "order.invalidated",
            A::TransferToEmergency => "order.transferred_to_emergency",
            A::Remind => "order.reminded",
            A::Supervise => "order.supervised",
        }
    }
}

/// The actions each state allows, whoever asks. The single source of legality.
pub fn legal_actions(state: OrderState) -> &'static [ActionKind] {
    use ActionKind as A;
    use OrderState as S;
    match state {
        S::Registered => &[
            A::ResolveDirectly,
            A::SubmitForDispatch,
            A::Merge,
            A::Invalidate,
            A::TransferToEmergency,
        ],
        S::PendingDispatch => &[A::Dispatch, A::Merge, A::Invalidate, A::TransferToEmergency],
        S::Dispatched => &[
            A::Sign,
            A::RequestReturn,
            A::Redispatch,
            A::Remind,
            A::Supervise,
        ],
        S::Signed => &[
            A::Start,
            A::RequestReturn,
            A::RequestExtension,
            A::Redispatch,
            A::Remind,
            A::Supervise,
        ],
        S::InProgress => &[
            A::Reply,
            A::RequestReturn,
            A::RequestExtension,
            A::Redispatch,
            A::Remind,
            A::Supervise,
        ],
        S::ReturnRequested => &[A::ApproveReturn, A::RefuseReturn],
        S::ExtensionRequested => &[
            A::ApproveExtension,
            A::RefuseExtension,
            A::Remind,
            A::Supervise,
        ],
        S::Replied => &[A::ApproveReply, A::RejectReply],
        S::PendingCallback => &[A::Callback],
        S::CallbackDone => &[A::Close, A::Reopen],
        S::Reopened => &[A::Start, A::Redispatch, A::Remind, A::Supervise],
        S::DirectlyResolved | S::Closed | S::Merged | S::Invalid | S::TransferredToEmergency => &[],
    }
}

/// What `actor` may do in `state` by role (department binding not checked: see
/// `allowed_actions_on`).
pub fn allowed_actions(state: OrderState, actor: &Actor) -> Vec<ActionKind> {
    legal_actions(state)
        .iter()
        .copied()
        .filter(|k| k.may_be_done_by(actor))
        .collect()
}

/// What `actor` may do on this order: the buttons to show, and the 409 body.
pub fn allowed_actions_on(order: &OrderSnapshot, actor: &Actor) -> Vec<ActionKind> {
    allowed_actions(order.state, actor)
        .into_iter()
        .filter(|k| department_check(*k, order, actor).is_ok())
        .collect()
}

/// An action with its data. JSON: `{"action": "request_return", "reason": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 直接办结: the agent answered on the spot.
    ResolveDirectly {
        answer: String,
    },
    SubmitForDispatch,
    Dispatch {
        lead_department: DepartmentCode,
        #[serde(default)]
        assisting_departments: Vec<DepartmentCode>,
    },
    /// 改派: the shift leader moves a dispatched order to another lead department.
    Redispatch {
        lead_department: DepartmentCode,
        #[serde(default)]
        assisting_departments: Vec<DepartmentCode>,
        reason: String,
    },
    Sign,
    Start,
    Reply {
        content: String,
    },
    ApproveReply,
    /// 审核退回: the reply is not good enough; back to the department.
    RejectReply {
        reason: String,
    },
    Callback {
        outcome: CallbackOutcome,
    },
    Close,
    Reopen {
        reason: String,
    },
    RequestReturn {
        reason: String,
    },
    ApproveReturn,
    RefuseReturn {
        reason: String,
    },
    RequestExtension {
        working_days: u32,
        reason: String,
    },
    /// Approves the pending request; `working_days` may grant fewer days than asked.
    ApproveExtension {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        working_days: Option<u32>,
    },
    RefuseExtension {
        reason: String,
    },
    Merge {
        into: OrderNumber,
    },
    Invalidate {
        category: InvalidCategory,
        reason: String,
    },
    TransferToEmergency {
        service: EmergencyService,
    },
    Remind {
        #[serde(default)]
        note: String,
    },
    /// Raises the supervision level (督办, yellow or red card) by hand.
    Supervise {
        level: SupervisionLevel,
        reason: String,
    },
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        use ActionKind as K;
        match self {
            Action::ResolveDirectly { .. } => K::ResolveDirectly,
            Action::SubmitForDispatch => K::SubmitForDispatch,
            Action::Dispatch { .. } => K::Dispatch,
            Action::Redispatch { .. } => K::Redispatch,
            Action::Sign => K::Sign,
            Action::Start => K::Start,
            Action::Reply { .. } => K::Reply,
            Action::ApproveReply => K::ApproveReply,
            Action::RejectReply { .. } => K::RejectReply,
            Action::Callback { .. } => K::Callback,
            Action::Close => K::Close,
            Action::Reopen { .. } => K::Reopen,
            Action::RequestReturn { .. } => K::RequestReturn,
            Action::ApproveReturn => K::ApproveReturn,
            Action::RefuseReturn { .. } => K::RefuseReturn,
            Action::RequestExtension { .. } => K::RequestExtension,
            Action::ApproveExtension { .. } => K::ApproveExtension,
            Action::RefuseExtension { .. } => K::RefuseExtension,
            Action::Merge { .. } => K::Merge,
            Action::Invalidate { .. } => K::Invalidate,
            Action::TransferToEmergency { .. } => K::TransferToEmergency,
            Action::Remind { .. } => K::Remind,
            Action::Supervise { .. } => K::Supervise,
        }
    }
}

/// The part of a work order the lifecycle reads and writes. The store keeps it with the rest
/// of the order (title, content, caller…) and writes back `Transition::order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSnapshot {
    pub number: OrderNumber,
    pub kind: RequestKind,
    pub urgent: bool,
    pub state: OrderState,
    pub registered_at: DateTime<Utc>,
    /// Where a pending return or extension request goes back to when it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_state: Option<OrderState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_department: Option<DepartmentCode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assisting_departments: Vec<DepartmentCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatched_at: Option<DateTime<Utc>>,
    /// The last instant a return may be asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub deadlines: OrderDeadlines,
    #[serde(default)]
    pub supervision_level: SupervisionLevel,
    /// Approved extensions in the current handling round.
    #[serde(default)]
    pub extension_count: u32,
    /// Working days asked by the pending extension request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_extension_days: Option<u32>,
    /// 重办 count: a reopened order stays one order.
    #[serde(default)]
    pub reopen_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replied_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_callback: Option<CallbackOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<OrderNumber>,
    /// When the order reached a terminal state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Timer events already fired (see `timers`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fired_timers: Vec<FiredTimer>,
}

/// Whether a deadline was met by the action that stopped its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timeliness {
    pub deadline: DeadlineKind,
    pub due_at: DateTime<Utc>,
    pub on_time: bool,
}

/// One field that an action changed, for the event payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum Change {
    State {
        from: OrderState,
        to: OrderState,
    },
    LeadDepartment {
        from: Option<DepartmentCode>,
        to: Option<DepartmentCode>,
    },
    AssistingDepartments {
        from: Vec<DepartmentCode>,
        to: Vec<DepartmentCode>,
    },
    /// A deadline's due instant (the full deadline is in the new snapshot).
    Deadline {
        kind: DeadlineKind,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    },
    ReturnUntil {
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    },
    SupervisionLevel {
        from: SupervisionLevel,
        to: SupervisionLevel,
    },
    ExtensionCount {
        from: u32,
        to: u32,
    },
    ReopenCount {
        from: u32,
        to: u32,
    },
    LastCallback {
        to: Option<CallbackOutcome>,
    },
    MergedInto {
        to: Option<OrderNumber>,
    },
}

/// A successful action: the order after it and what to log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub action: ActionKind,
    /// Event type code for the event log, e.g. `order.signed`.
    pub event_type: &'static str,
    /// `None` only for registration.
    pub from: Option<OrderState>,
    pub to: OrderState,
    pub order: OrderSnapshot,
    pub changes: Vec<Change>,
    /// Set by sign (sign deadline), reply (handle deadline) and callback (callback deadline).
    pub timeliness: Option<Timeliness>,
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum TransitionError {
    /// HTTP 409: the order's state does not allow the action.
    #[error(
        "工单当前为「{}」，不能{} ({action} is not possible while the order is {current_state})",
        .current_state.label_zh(),
        .action.label_zh()
    )]
    IllegalTransition {
        current_state: OrderState,
        action: ActionKind,
        /// What this actor may do instead.
        allowed_actions: Vec<ActionKind>,
    },
    /// HTTP 403.
    #[error("无权{}：{detail} ({action} is not allowed)", .action.label_zh())]
    Forbidden {
        action: ActionKind,
        needed_roles: Vec<Role>,
        detail: String,
    },
    /// HTTP 422: the action's data breaks a rule; `field` names the culprit.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl TransitionError {
    pub fn http_status(&self) -> u16 {
        match self {
            TransitionError::IllegalTransition { .. } => 409,
            TransitionError::Forbidden { .. } => 403,
            TransitionError::Invalid { .. } => 422,
        }
    }

    /// Stable machine-readable code for the API error body.
    pub fn code(&self) -> &'static str {
        match self {
            TransitionError::IllegalTransition { .. } => "illegal_transition",
            TransitionError::Forbidden { .. } => "forbidden",
            TransitionError::Invalid { .. } => "invalid",
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> TransitionError {
    TransitionError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn calendar_failure(error: CalendarError) -> TransitionError {
    invalid(
        "now",
        format!("cannot compute a deadline from this time: {error}"),
    )
}

fn authorize(kind: ActionKind, actor: &Actor) -> Result<(), TransitionError> {
    if kind.may_be_done_by(actor) {
        return Ok(());
    }
    let who = match actor {
        Actor::System => "the system".to_string(),
        Actor::User { role, .. } => format!("{} ({})", role.label_en(), role.label_zh()),
    };
    Err(TransitionError::Forbidden {
        action: kind,
        needed_roles: kind.roles().to_vec(),
        detail: format!("{who} may not {}", kind.label_en().to_lowercase()),
    })
}

fn department_check(
    kind: ActionKind,
    order: &OrderSnapshot,
    actor: &Actor,
) -> Result<(), TransitionError> {
    if !kind.needs_lead_department() {
        return Ok(());
    }
    let department = match actor {
        Actor::User {
            department: Some(d),
            ..
        } => Some(d),
        _ => None,
    };
    if department.is_some() && department == order.lead_department.as_ref() {
        return Ok(());
    }
    Err(TransitionError::Forbidden {
        action: kind,
        needed_roles: vec![Role::DepartmentHandler],
        detail: "only a handler of the order's lead department may do this".to_string(),
    })
}

fn text(field: &'static str, value: &str, max_chars: usize) -> Result<(), TransitionError> {
    if value.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(())
}

fn check_departments(
    lead: &DepartmentCode,
    assisting: &[DepartmentCode],
) -> Result<(), TransitionError> {
    if assisting.len() > MAX_ASSISTING_DEPARTMENTS {
        return Err(invalid(
            "assisting_departments",
            format!("at most {MAX_ASSISTING_DEPARTMENTS} assisting departments"),
        ));
    }
    if assisting.contains(lead) {
        return Err(invalid(
            "assisting_departments",
            format!("{lead} is the lead department and cannot also assist"),
        ));
    }
    for (i, d) in assisting.iter().enumerate() {
        if assisting[..i].contains(d) {
            return Err(invalid(
                "assisting_departments",
                format!("{d} is listed twice"),
            ));
        }
    }
    Ok(())
}

/// Creates an order in `Registered` (受理). Field validation (title, caller phone, category…)
/// is the caller's; the lifecycle only needs what drives deadlines.
pub fn register(
    number: OrderNumber,
    kind: RequestKind,
    urgent: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Transition, TransitionError> {
    authorize(ActionKind::Register, actor)?;
    let order = OrderSnapshot {
        number,
        kind,
        urgent,
        state: OrderState::Registered,
        registered_at: now,
        resume_state: None,
        lead_department: None,
        assisting_departments: Vec::new(),
        dispatched_at: None,
        return_until: None,
        deadlines: OrderDeadlines::default(),
        supervision_level: SupervisionLevel::None,
        extension_count: 0,
        pending_extension_days: None,
        reopen_count: 0,
        replied_at: None,
        last_callback: None,
        merged_into: None,
        finished_at: None,
        fired_timers: Vec::new(),
    };
    Ok(Transition {
        action: ActionKind::Register,
        event_type: ActionKind::Register.event_type(),
        from: None,
        to: OrderState::Registered,
        changes: vec![],
        order,
        timeliness: None,
    })
}

/// Applies `action` by `actor` at `now`. See the module doc for the order of checks.
pub fn apply(
    order: &OrderSnapshot,
    action: &Action,
    actor: &Actor,
    now: DateTime<Utc>,
    calendar: &Calendar,
    limits: &TimeLimits,
) -> Result<Transition, TransitionError> {
    let kind = action.kind();
    authorize(kind, actor)?;
    if !kind.is_legal_in(order.state) {
        return Err(TransitionError::IllegalTransition {
            current_state: order.state,
            action: kind,
            allowed_actions: allowed_actions_on(order, actor),
        });
    }
    department_check(kind, order, actor)?;

    let mut next = order.clone();
    let mut timeliness = None;
    let plan = |deadline: DeadlineKind, limit: TimeLimit| {
        Deadline::plan(deadline, now, limit, calendar, limits).map_err(calendar_failure)
    };
    let met = |deadline: DeadlineKind| {
        order.deadlines.get(deadline).map(|d| Timeliness {
            deadline,
            due_at: d.due_at,
            on_time: !d.is_overdue(now),
        })
    };

    use OrderState as S;
    let to = match action {
        Action::ResolveDirectly { answer } => {
            text("answer", answer, MAX_REPLY_CHARS)?;
            next.finished_at = Some(now);
            S::DirectlyResolved
        }
        Action::SubmitForDispatch => S::PendingDispatch,
        Action::Dispatch {
            lead_department,
            assisting_departments,
        } => {
            check_departments(lead_department, assisting_departments)?;
            dispatch_to(
                &mut next,
                lead_department,
                assisting_departments,
                now,
                calendar,
                limits,
            )?;
            S::Dispatched
        }
        Action::Redispatch {
            lead_department,
            assisting_departments,
            reason,
        } => {
            text("reason", reason, MAX_REASON_CHARS)?;
            check_departments(lead_department, assisting_departments)?;
            if order.lead_department.as_ref() == Some(lead_department) {
                return Err(invalid(
                    "lead_department",
                    format!("{lead_department} already leads this order"),
                ));
            }
            dispatch_to(
                &mut next,
                lead_department,
                assisting_departments,
                now,
                calendar,
                limits,
            )?;
            S::Dispatched
        }
        Action::Sign => {
            timeliness = met(DeadlineKind::Sign);
            S::Signed
        }
        Action::Start => S::InProgress,
        Action::Reply { content } => {
            text("content", content, MAX_REPLY_CHARS)?;
            timeliness = met(DeadlineKind::Handle);
            next.replied_at = Some(now);
            next.deadlines.callback = Some(plan(DeadlineKind::Callback, limits.callback_limit())?);
            S::Replied
        }
        Action::ApproveReply => S::PendingCallback,
        Action::RejectReply { reason } => {
            text("reason", reason, MAX_REASON_CHARS)?;
            next.replied_at = None;
            next.deadlines.callback = None;
            S::InProgress
        }
        Action::Callback { outcome } => {
            if let CallbackOutcome::Unreachable { attempts } = outcome {
                let needed = limits.callback_unreachable_after_attempts();
                if *attempts < needed {
                    return Err(invalid(
                        "attempts",
                        format!(
                            "an unreachable callback needs at least {needed} attempts, not {attempts}"
                        ),
                    ));
                }
            }
            timeliness = met(DeadlineKind::Callback);
            next.last_callback = Some(*outcome);
            S::CallbackDone
        }
        Action::Close => {
            next.finished_at = Some(now);
            S::Closed
        }
        Action::Reopen { reason } => {
            text("reason", reason, MAX_REASON_CHARS)?;
            if !order
                .last_callback
                .is_some_and(CallbackOutcome::allows_reopen)
            {
                return Err(invalid(
                    "last_callback",
                    "only an order the citizen called unresolved or unsatisfactory can be reopened",
                ));
            }
            next.reopen_count = order.reopen_count.saturating_add(1);
            next.deadlines.sign = None;
            next.deadlines.handle = Some(plan(
                DeadlineKind::Handle,
                limits.handle_limit(order.kind, order.urgent),
            )?);
            next.deadlines.callback = None;
            next.replied_at = None;
            next.extension_count = 0;
            S::Reopened
        }
        Action::RequestReturn { reason } => {
            text("reason", reason, MAX_REASON_CHARS)?;
            match order.return_until {
                Some(until) if now <= until => {}
                Some(until) => {
                    return Err(invalid(
                        "return_window",
                        format!(
                            "a return had to be asked by {} ({} after dispatch)",
                            to_local_rfc3339(until),
                            limits.return_window().label_en()
                        ),
                    ));
                }
                None => return Err(invalid("return_window", "this order has no return window")),
            }
            next.resume_state = Some(order.state);
            S::ReturnRequested
        }
        Action::ApproveReturn => {
            next.resume_state = None;
            next.lead_department = None;
            next.assisting_departments.clear();
            next.dispatched_at = None;
            next.return_until = None;
            next.deadlines.sign = None;
            next.deadlines.handle = None;
            S::PendingDispatch
        }
        Action::RefuseReturn { reason } => {
            text("reason", reason, MAX_REASON_CHARS)?;
            next.resume_state = None;
            // Refusing means "this is yours": an order not yet signed counts as signed.
            match order.resume_state {
                Some(S::InProgress) => S::InProgress,
                _ => S::Signed,
            }
        }
        Action::RequestExtension {
            working_days,
            reason,
        } => {
            text("reason", reason, MAX_REASON_CHARS)?;
            let rule = limits.extension();
            if order.extension_count >= rule.max_count {
                return Err(invalid(
                    "extension_count",
                    format!(
                        "at most {} extension(s) per handling round; {} already approved",
                        rule.max_count, order.extension_count
                    ),
                ));
            }
            if *working_days == 0 || *working_days > rule.max_working_days {
                return Err(invalid(
                    "working_days",
                    format!(
                        "must be between 1 and {} working days",
                        rule.max_working_days
                    ),
                ));
            }
            let Some(handle) = order.deadlines.handle.as_ref() else {
                return Err(invalid(
                    "handle_by",
                    "this order has no handling deadline to extend",
                ));
            };
            if handle.is_overdue(now) {
                return Err(invalid(
                    "handle_by",
                    format!(
                        "the deadline {} has passed; an extension must be asked before it",
                        to_local_rfc3339(handle.due_at)
                    ),
                ));
            }
            next.resume_state = Some(order.state);
            next.pending_extension_days = Some(*working_days);
            S::ExtensionRequested
        }
        Action::ApproveExtension { working_days } => {
            let (Some(asked), Some(handle)) = (
                order.pending_extension_days,
                order.deadlines.handle.as_ref(),
            ) else {
                return Err(invalid(
                    "working_days",
                    "there is no pending extension request",
                ));
            };
            let granted = working_days.unwrap_or(asked);
            if granted == 0 || granted > asked {
                return Err(invalid(
                    "working_days",
                    format!("may grant between 1 and the {asked} working days asked"),
                ));
            }
            next.deadlines.handle = Some(
                handle
                    .extend(DeadlineKind::Handle, granted, now, calendar, limits)
                    .map_err(calendar_failure)?,
            );
            next.extension_count = order.extension_count.saturating_add(1);
            next.pending_extension_days = None;
            next.resume_state = None;
            order.resume_state.unwrap_or(S::InProgress)
        }
        Action::RefuseExtension { reason } => {
            text("reason", reason, MAX_REASON_CHARS)?;
            next.pending_extension_days = None;
            next.resume_state = None;
            order.resume_state.unwrap_or(S::InProgress)
        }
        Action::Merge { into } => {
            if *into == order.number {
                return Err(invalid("into", "an order cannot be merged into itself"));
            }
            next.merged_into = Some(into.clone());
            next.finished_at = Some(now);
            S::Merged
        }
        Action::Invalidate { reason, .. } => {
            text("reason", reason, MAX_REASON_CHARS)?;
            next.finished_at = Some(now);
            S::Invalid
        }
        Action::TransferToEmergency { .. } => {
            next.finished_at = Some(now);
            S::TransferredToEmergency
        }
        Action::Remind { note } => {
            if note.chars().count() > MAX_REASON_CHARS {
                return Err(invalid(
                    "note",
                    format!("must be at most {MAX_REASON_CHARS} characters"),
                ));
            }
            next.supervision_level = order.supervision_level.max(SupervisionLevel::Reminder);
            order.state
        }
        Action::Supervise { level, reason } => {
            text("reason", reason, MAX_REASON_CHARS)?;
            if *level <= order.supervision_level {
                return Err(invalid(
                    "level",
                    format!(
                        "the order is already at {} ({}); supervision is only ever raised",
                        order.supervision_level.label_en(),
                        order.supervision_level.label_zh()
                    ),
                ));
            }
            next.supervision_level = *level;
            order.state
        }
    };
    next.state = to;
    let deadlines = &next.deadlines;
    next.fired_timers
        .retain(|f| deadlines.get(f.deadline).map(|d| d.due_at) == Some(f.due_at));

    Ok(Transition {
        action: kind,
        event_type: kind.event_type(),
        from: Some(order.state),
        to,
        changes: changes(order, &next),
        order: next,
        timeliness,
    })
}

/// Sends the order to a (new) lead department: every department clock starts now.
fn dispatch_to(
    next: &mut OrderSnapshot,
    lead: &DepartmentCode,
    assisting: &[DepartmentCode],
    now: DateTime<Utc>,
    calendar: &Calendar,
    limits: &TimeLimits,
) -> Result<(), TransitionError> {
    let plan = |deadline: DeadlineKind, limit: TimeLimit| {
        Deadline::plan(deadline, now, limit, calendar, limits).map_err(calendar_failure)
    };
    next.lead_department = Some(lead.clone());
    next.assisting_departments = assisting.to_vec();
    next.dispatched_at = Some(now);
    next.deadlines.sign = Some(plan(
        DeadlineKind::Sign,
        limits.sign_limit(next.kind, next.urgent),
    )?);
    next.deadlines.handle = Some(plan(
        DeadlineKind::Handle,
        limits.handle_limit(next.kind, next.urgent),
    )?);
    next.deadlines.callback = None;
    next.return_until = Some(
        calendar
            .deadline(now, limits.return_window())
            .map_err(calendar_failure)?
            .at,
    );
    next.extension_count = 0;
    next.pending_extension_days = None;
    next.resume_state = None;
    next.replied_at = None;
    Ok(())
}

fn changes(old: &OrderSnapshot, new: &OrderSnapshot) -> Vec<Change> {
    let mut out = Vec::new();
    if old.state != new.state {
        out.push(Change::State {
            from: old.state,
            to: new.state,
        });
    }
    if old.lead_department != new.lead_department {
        out.push(Change::LeadDepartment {
            from: old.lead_department.clone(),
            to: new.lead_department.clone(),
        });
    }
    if old.assisting_departments != new.assisting_departments {
        out.push(Change::AssistingDepartments {
            from: old.assisting_departments.clone(),
            to: new.assisting_departments.clone(),
        });
    }
    for kind in [
        DeadlineKind::Sign,
        DeadlineKind::Handle,
        DeadlineKind::Callback,
    ] {
        let from = old.deadlines.get(kind).map(|d| d.due_at);
        let to = new.deadlines.get(kind).map(|d| d.due_at);
        if from != to {
            out.push(Change::Deadline { kind, from, to });
        }
    }
    if old.return_until != new.return_until {
        out.push(Change::ReturnUntil {
            from: old.return_until,
            to: new.return_until,
        });
    }
    if old.supervision_level != new.supervision_level {
        out.push(Change::SupervisionLevel {
            from: old.supervision_level,
            to: new.supervision_level,
        });
    }
    if old.extension_count != new.extension_count {
        out.push(Change::ExtensionCount {
            from: old.extension_count,
            to: new.extension_count,
        });
    }
    if old.reopen_count != new.reopen_count {
        out.push(Change::ReopenCount {
            from: old.reopen_count,
            to: new.reopen_count,
        });
    }
    if old.last_callback != new.last_callback {
        out.push(Change::LastCallback {
            to: new.last_callback,
        });
    }
    if old.merged_into != new.merged_into {
        out.push(Change::MergedInto {
            to: new.merged_into.clone(),
        });
    }
    out
}
