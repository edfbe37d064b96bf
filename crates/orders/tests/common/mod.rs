//! Fixtures: real orders in every state, built by walking the lifecycle itself.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use rexian_domain::Role;
use rexian_orders::calendar::shanghai;
use rexian_orders::{
    Action, Actor, Calendar, CallbackOutcome, DepartmentCode, EmergencyService, InvalidCategory,
    OrderNumber, OrderSnapshot, OrderState, RequestKind, Satisfaction, SupervisionLevel,
    TimeLimits, Transition, apply, register,
};

pub fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    shanghai()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// Monday 2 March 2026, 09:00: a plain working week, far from holidays.
pub fn t0() -> DateTime<Utc> {
    local(2026, 3, 2, 9, 0)
}

pub fn dept(code: &str) -> DepartmentCode {
    DepartmentCode::parse(code).unwrap()
}

pub fn number(seq: u16) -> OrderNumber {
    OrderNumber::new("BS", t0().date_naive(), seq).unwrap()
}

pub fn agent() -> Actor {
    Actor::user(Role::Agent)
}

pub fn leader() -> Actor {
    Actor::user(Role::ShiftLeader)
}

/// A handler of the lead department the fixtures dispatch to.
pub fn handler() -> Actor {
    Actor::department_handler(dept("DEPT-A"))
}

pub struct World {
    pub calendar: Calendar,
    pub limits: TimeLimits,
}

impl World {
    pub fn new() -> World {
        World {
            calendar: Calendar::bundled(),
            limits: TimeLimits::bundled(),
        }
    }

    pub fn apply(
        &self,
        order: &OrderSnapshot,
        action: Action,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Transition {
        apply(order, &action, actor, now, &self.calendar, &self.limits)
            .unwrap_or_else(|e| panic!("{:?} in {:?} failed: {e:?}", action.kind(), order.state))
    }

    /// A complaint (10 working days) in `state`, reached by the usual path, one hour per
    /// step from `t0()`. Returns the order and the time of its last step.
    pub fn order_in(&self, state: OrderState) -> (OrderSnapshot, DateTime<Utc>) {
        use OrderState as S;
        let mut now = t0();
        let mut order = register(number(1), RequestKind::Complaint, false, &agent(), now)
            .unwrap()
            .order;
        let path: Vec<(Action, Actor)> = match state {
            S::Registered => vec![],
            S::DirectlyResolved => vec![(resolve(), agent())],
            S::Merged => vec![(merge(), leader())],
            S::Invalid => vec![(invalidate(), leader())],
            S::TransferredToEmergency => vec![(transfer(), agent())],
            _ => {
                let mut p = vec![(Action::SubmitForDispatch, agent())];
                let steps: Vec<(OrderState, Action, Actor)> = vec![
                    (S::Dispatched, dispatch("DEPT-A"), leader()),
                    (S::Signed, Action::Sign, handler()),
                    (S::InProgress, Action::Start, handler()),
                    (S::Replied, reply(), handler()),
                    (S::PendingCallback, Action::ApproveReply, leader()),
                    (S::CallbackDone, dissatisfied_callback(), agent()),
                ];
                let target = match state {
                    S::ReturnRequested => S::Signed,
                    S::ExtensionRequested => S::InProgress,
                    S::Reopened | S::Closed => S::CallbackDone,
                    other => other,
                };
                if target != S::PendingDispatch {
                    for (reached, action, actor) in steps {
                        p.push((action, actor));
                        if reached == target {
                            break;
                        }
                    }
                }
                match state {
                    S::ReturnRequested => p.push((request_return(), handler())),
                    S::ExtensionRequested => p.push((request_extension(3), handler())),
                    S::Reopened => p.push((reopen(), leader())),
                    S::Closed => p.push((Action::Close, agent())),
                    _ => {}
                }
                p
            }
        };
        for (action, actor) in path {
            now += Duration::hours(1);
            order = self.apply(&order, action, &actor, now).order;
        }
        assert_eq!(order.state, state, "fixture for {state:?}");
        (order, now)
    }
}

pub fn resolve() -> Action {
    Action::ResolveDirectly {
        answer: "办理居住证需携带身份证到派出所。".into(),
    }
}

pub fn dispatch(lead: &str) -> Action {
    Action::Dispatch {
        lead_department: dept(lead),
        assisting_departments: vec![dept("DEPT-C")],
    }
}

pub fn redispatch(lead: &str) -> Action {
    Action::Redispatch {
        lead_department: dept(lead),
        assisting_departments: vec![],
        reason: "属地为另一乡镇".into(),
    }
}

pub fn reply() -> Action {
    Action::Reply {
        content: "已安排人员现场处理，路灯已修复。".into(),
    }
}

pub fn dissatisfied_callback() -> Action {
    Action::Callback {
        outcome: CallbackOutcome::Reached {
            resolved: false,
            satisfaction: Satisfaction::Dissatisfied,
        },
    }
}

pub fn request_return() -> Action {
    Action::RequestReturn {
        reason: "该事项不属于本单位职责".into(),
    }
}

pub fn request_extension(days: u32) -> Action {
    Action::RequestExtension {
        working_days: days,
        reason: "需协调多个部门".into(),
    }
}

pub fn reopen() -> Action {
    Action::Reopen {
        reason: "路灯仍未修复".into(),
    }
}

pub fn merge() -> Action {
    Action::Merge { into: number(2) }
}

pub fn invalidate() -> Action {
    Action::Invalidate {
        category: InvalidCategory::Harassment,
        reason: "反复骚扰".into(),
    }
}

pub fn transfer() -> Action {
    Action::TransferToEmergency {
        service: EmergencyService::Fire,
    }
}

pub fn supervise(level: SupervisionLevel) -> Action {
    Action::Supervise {
        level,
        reason: "县领导关注".into(),
    }
}
