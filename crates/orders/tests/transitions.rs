//! The state machine: every (state, action) pair, every role, and the rules behind each 422.

mod common;

use chrono::Duration;
use common::*;
use rexian_domain::Role;
use rexian_orders::calendar::to_local_rfc3339;
use rexian_orders::{
    Action, ActionKind, Actor, CallbackOutcome, Change, DeadlineKind, OrderState, RequestKind,
    Satisfaction, SupervisionLevel, TransitionError, allowed_actions, allowed_actions_on, apply,
    legal_actions, register,
};

/// The expected machine, written out independently of `legal_actions`:
/// (state, action, state after) for every allowed pair; every other pair is illegal.
/// Fixtures: ReturnRequested comes from Signed, ExtensionRequested from InProgress.
fn expected_transitions() -> Vec<(OrderState, ActionKind, OrderState)> {
    use ActionKind as A;
    use OrderState as S;
    vec![
        (S::Registered, A::ResolveDirectly, S::DirectlyResolved),
        (S::Registered, A::SubmitForDispatch, S::PendingDispatch),
        (S::Registered, A::Merge, S::Merged),
        (S::Registered, A::Invalidate, S::Invalid),
        (
            S::Registered,
            A::TransferToEmergency,
            S::TransferredToEmergency,
        ),
        (S::PendingDispatch, A::Dispatch, S::Dispatched),
        (S::PendingDispatch, A::Merge, S::Merged),
        (S::PendingDispatch, A::Invalidate, S::Invalid),
        (
            S::PendingDispatch,
            A::TransferToEmergency,
            S::TransferredToEmergency,
        ),
        (S::Dispatched, A::Sign, S::Signed),
        (S::Dispatched, A::RequestReturn, S::ReturnRequested),
        (S::Dispatched, A::Redispatch, S::Dispatched),
        (S::Dispatched, A::Remind, S::Dispatched),
        (S::Dispatched, A::Supervise, S::Dispatched),
        (S::Signed, A::Start, S::InProgress),
        (S::Signed, A::RequestReturn, S::ReturnRequested),
        (S::Signed, A::RequestExtension, S::ExtensionRequested),
        (S::Signed, A::Redispatch, S::Dispatched),
        (S::Signed, A::Remind, S::Signed),
        (S::Signed, A::Supervise, S::Signed),
        (S::InProgress, A::Reply, S::Replied),
        (S::InProgress, A::RequestReturn, S::ReturnRequested),
        (S::InProgress, A::RequestExtension, S::ExtensionRequested),
        (S::InProgress, A::Redispatch, S::Dispatched),
        (S::InProgress, A::Remind, S::InProgress),
        (S::InProgress, A::Supervise, S::InProgress),
        (S::ReturnRequested, A::ApproveReturn, S::PendingDispatch),
        (S::ReturnRequested, A::RefuseReturn, S::Signed),
        (S::ExtensionRequested, A::ApproveExtension, S::InProgress),
        (S::ExtensionRequested, A::RefuseExtension, S::InProgress),
        (S::ExtensionRequested, A::Remind, S::ExtensionRequested),
        (S::ExtensionRequested, A::Supervise, S::ExtensionRequested),
        (S::Replied, A::ApproveReply, S::PendingCallback),
        (S::Replied, A::RejectReply, S::InProgress),
        (S::PendingCallback, A::Callback, S::CallbackDone),
        (S::CallbackDone, A::Close, S::Closed),
        (S::CallbackDone, A::Reopen, S::Reopened),
        (S::Reopened, A::Start, S::InProgress),
        (S::Reopened, A::Redispatch, S::Dispatched),
        (S::Reopened, A::Remind, S::Reopened),
        (S::Reopened, A::Supervise, S::Reopened),
    ]
}

/// Who may do what, written out independently of `ActionKind::roles`.
fn expected_roles(kind: ActionKind) -> (Vec<Role>, bool) {
    use ActionKind as A;
    let (roles, system): (&[Role], bool) = match kind {
        A::Register => (&[Role::Agent, Role::ShiftLeader], true),
        A::ResolveDirectly | A::SubmitForDispatch | A::Callback => (&[Role::Agent], false),
        A::Close | A::TransferToEmergency => (&[Role::Agent, Role::ShiftLeader], false),
        A::Sign | A::Start | A::Reply | A::RequestReturn | A::RequestExtension => {
            (&[Role::DepartmentHandler], false)
        }
        A::Remind | A::Supervise => (&[Role::ShiftLeader, Role::CountyOffice], true),
        _ => (&[Role::ShiftLeader], false),
    };
    (roles.to_vec(), system)
}

/// A valid example of each action, as the fixtures' orders need it.
fn sample(kind: ActionKind) -> Option<Action> {
    use ActionKind as A;
    Some(match kind {
        A::Register => return None,
        A::ResolveDirectly => resolve(),
        A::SubmitForDispatch => Action::SubmitForDispatch,
        A::Dispatch => dispatch("DEPT-A"),
        A::Redispatch => redispatch("DEPT-B"),
        A::Sign => Action::Sign,
        A::Start => Action::Start,
        A::Reply => reply(),
        A::ApproveReply => Action::ApproveReply,
        A::RejectReply => Action::RejectReply {
            reason: "答复内容不完整".into(),
        },
        A::Callback => dissatisfied_callback(),
        A::Close => Action::Close,
        A::Reopen => reopen(),
        A::RequestReturn => request_return(),
        A::ApproveReturn => Action::ApproveReturn,
        A::RefuseReturn => Action::RefuseReturn {
            reason: "属于本单位职责".into(),
        },
        A::RequestExtension => request_extension(3),
        A::ApproveExtension => Action::ApproveExtension { working_days: None },
        A::RefuseExtension => Action::RefuseExtension {
            reason: "时限充足".into(),
        },
        A::Merge => merge(),
        A::Invalidate => invalidate(),
        A::TransferToEmergency => transfer(),
        A::Remind => Action::Remind {
            note: String::new(),
        },
        A::Supervise => supervise(SupervisionLevel::Supervision),
    })
}

/// Every actor the tests try: the system, each role, and the lead department's handler.
fn all_actors() -> Vec<Actor> {
    let mut actors = vec![Actor::System];
    for role in Role::ALL {
        if role == Role::DepartmentHandler {
            actors.push(handler());
        } else {
            actors.push(Actor::user(role));
        }
    }
    actors
}

fn permitted(kind: ActionKind, actor: &Actor) -> bool {
    let (roles, system) = expected_roles(kind);
    match actor.role() {
        None => system,
        Some(role) => roles.contains(&role),
    }
}

#[test]
fn role_table_matches_the_issue() {
    for &kind in ActionKind::ALL {
        let (roles, system) = expected_roles(kind);
        assert_eq!(kind.roles(), roles.as_slice(), "{kind}");
        assert_eq!(kind.system_may(), system, "{kind}");
    }
}

#[test]
fn legal_actions_match_the_expected_machine() {
    let expected = expected_transitions();
    for &state in OrderState::ALL {
        let mut want: Vec<ActionKind> = expected
            .iter()
            .filter(|t| t.0 == state)
            .map(|t| t.1)
            .collect();
        let mut got = legal_actions(state).to_vec();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{state}");
        assert_eq!(
            state.is_terminal(),
            got.is_empty(),
            "{state}: terminal iff no action"
        );
    }
}

/// Every state × every action × every actor: allowed pairs give the expected state and event,
/// wrong actors get 403, illegal pairs get 409 with what this actor could do instead.
#[test]
fn every_state_action_and_actor() {
    let world = World::new();
    let expected = expected_transitions();
    let mut allowed_count = 0;
    let mut illegal_count = 0;
    let mut forbidden_count = 0;
    for &state in OrderState::ALL {
        let (order, last) = world.order_in(state);
        let now = last + Duration::minutes(30);
        for &kind in ActionKind::ALL {
            let Some(action) = sample(kind) else { continue };
            let target = expected
                .iter()
                .find(|t| t.0 == state && t.1 == kind)
                .map(|t| t.2);
            for actor in all_actors() {
                let result = apply(&order, &action, &actor, now, &world.calendar, &world.limits);
                match (permitted(kind, &actor), target) {
                    (false, _) => {
                        forbidden_count += 1;
                        match result {
                            Err(TransitionError::Forbidden {
                                action,
                                needed_roles,
                                ..
                            }) => {
                                assert_eq!(action, kind);
                                assert_eq!(needed_roles, expected_roles(kind).0);
                            }
                            other => {
                                panic!("{state} {kind} by {actor:?}: expected 403, got {other:?}")
                            }
                        }
                    }
                    (true, Some(to)) => {
                        allowed_count += 1;
                        let t =
                            result.unwrap_or_else(|e| panic!("{state} {kind} by {actor:?}: {e:?}"));
                        assert_eq!(t.to, to, "{state} {kind}");
                        assert_eq!(t.order.state, to);
                        assert_eq!(t.from, Some(state));
                        assert_eq!(t.action, kind);
                        assert_eq!(t.event_type, kind.event_type());
                        assert_eq!(t.order.number, order.number, "never a new order");
                        assert_eq!(
                            t.changes.iter().any(|c| matches!(c, Change::State { .. })),
                            to != state
                        );
                    }
                    (true, None) => {
                        illegal_count += 1;
                        match result {
                            Err(e @ TransitionError::IllegalTransition { .. }) => {
                                assert_eq!(e.http_status(), 409);
                                let TransitionError::IllegalTransition {
                                    current_state,
                                    action,
                                    allowed_actions,
                                } = e
                                else {
                                    unreachable!()
                                };
                                assert_eq!(current_state, state);
                                assert_eq!(action, kind);
                                assert!(!allowed_actions.contains(&kind));
                                assert_eq!(allowed_actions, allowed_actions_on(&order, &actor));
                                for a in &allowed_actions {
                                    assert!(permitted(*a, &actor), "{a} offered to {actor:?}");
                                }
                            }
                            other => {
                                panic!("{state} {kind} by {actor:?}: expected 409, got {other:?}")
                            }
                        }
                    }
                }
            }
        }
    }
    // Every pair was tried by all 7 actors (the system and the six roles).
    let pairs = OrderState::ALL.len() * (ActionKind::ALL.len() - 1);
    assert_eq!(allowed_count + illegal_count + forbidden_count, pairs * 7);
    let by_permitted_actors =
        |kind: ActionKind| all_actors().iter().filter(|a| permitted(kind, a)).count();
    let expected_allowed: usize = expected.iter().map(|t| by_permitted_actors(t.1)).sum();
    assert_eq!(allowed_count, expected_allowed);
    assert_eq!(expected.len(), 41);
}

#[test]
fn department_actions_need_the_lead_department() {
    let world = World::new();
    let (order, now) = world.order_in(OrderState::Dispatched);
    let other = Actor::department_handler(dept("DEPT-B"));
    let err = apply(
        &order,
        &Action::Sign,
        &other,
        now,
        &world.calendar,
        &world.limits,
    )
    .unwrap_err();
    assert_eq!(err.http_status(), 403);
    // The assisting department cannot sign for the lead either.
    let assisting = Actor::department_handler(dept("DEPT-C"));
    assert_eq!(
        apply(
            &order,
            &Action::Sign,
            &assisting,
            now,
            &world.calendar,
            &world.limits
        )
        .unwrap_err()
        .code(),
        "forbidden"
    );
    // A handler account with no department is refused too.
    let unbound = Actor::user(Role::DepartmentHandler);
    assert!(
        apply(
            &order,
            &Action::Sign,
            &unbound,
            now,
            &world.calendar,
            &world.limits
        )
        .is_err()
    );
    // The buttons shown to another department's handler: none.
    assert!(allowed_actions_on(&order, &other).is_empty());
    assert_eq!(
        allowed_actions_on(&order, &handler()),
        [ActionKind::Sign, ActionKind::RequestReturn]
    );
    assert_eq!(
        allowed_actions(OrderState::Dispatched, &leader()),
        [
            ActionKind::Redispatch,
            ActionKind::Remind,
            ActionKind::Supervise
        ]
    );
}

#[test]
fn forbidden_is_checked_before_the_state() {
    // A department handler trying to dispatch a registered order learns nothing about state.
    let world = World::new();
    let (order, now) = world.order_in(OrderState::Registered);
    let err = apply(
        &order,
        &dispatch("DEPT-A"),
        &handler(),
        now,
        &world.calendar,
        &world.limits,
    )
    .unwrap_err();
    assert_eq!(err.http_status(), 403);
    // The right role in the wrong state: 409 listing what it can do.
    let err = apply(
        &order,
        &dispatch("DEPT-A"),
        &leader(),
        now,
        &world.calendar,
        &world.limits,
    )
    .unwrap_err();
    assert_eq!(
        err,
        TransitionError::IllegalTransition {
            current_state: OrderState::Registered,
            action: ActionKind::Dispatch,
            allowed_actions: vec![
                ActionKind::Merge,
                ActionKind::Invalidate,
                ActionKind::TransferToEmergency
            ],
        }
    );
    let body = serde_json::to_value(&err).unwrap();
    assert_eq!(body["error"], "illegal_transition");
    assert_eq!(body["current_state"], "registered");
    assert_eq!(body["allowed_actions"][0], "merge");
}

#[test]
fn registration_is_for_agents_leaders_and_imports() {
    let now = t0();
    for actor in [agent(), leader(), Actor::System] {
        let t = register(number(7), RequestKind::Help, true, &actor, now).unwrap();
        assert_eq!(t.to, OrderState::Registered);
        assert_eq!(t.event_type, "order.registered");
        assert_eq!(t.from, None);
    }
    for actor in [
        handler(),
        Actor::user(Role::Manager),
        Actor::user(Role::CountyOffice),
    ] {
        assert_eq!(
            register(number(7), RequestKind::Help, false, &actor, now)
                .unwrap_err()
                .http_status(),
            403
        );
    }
}

fn invalid_field(result: Result<rexian_orders::Transition, TransitionError>) -> &'static str {
    match result {
        Err(TransitionError::Invalid { field, .. }) => field,
        other => panic!("expected 422, got {other:?}"),
    }
}

#[test]
fn dispatch_sets_the_department_clocks() {
    let world = World::new();
    let (order, now) = world.order_in(OrderState::Dispatched);
    // Complaint dispatched Mon 2 March 2026 11:00: sign by end of Tue 3, handle by end of the
    // 10th working day (Mon 16 March), return until end of Wed 4.
    let d = &order.deadlines;
    assert_eq!(
        to_local_rfc3339(d.sign.as_ref().unwrap().due_at),
        "2026-03-03T23:59:59.999+08:00"
    );
    assert_eq!(
        to_local_rfc3339(d.handle.as_ref().unwrap().due_at),
        "2026-03-16T23:59:59.999+08:00"
    );
    assert_eq!(
        to_local_rfc3339(order.return_until.unwrap()),
        "2026-03-04T23:59:59.999+08:00"
    );
    assert_eq!(order.dispatched_at, Some(now));
    assert_eq!(order.lead_department, Some(dept("DEPT-A")));
    assert_eq!(order.assisting_departments, vec![dept("DEPT-C")]);

    // Urgent orders: 2 hours to sign, 24 hours to handle.
    let urgent = {
        let mut o = world.order_in(OrderState::PendingDispatch).0;
        o.urgent = true;
        o.kind = RequestKind::Help;
        world.apply(&o, dispatch("DEPT-A"), &leader(), now).order
    };
    assert_eq!(
        urgent.deadlines.sign.as_ref().unwrap().due_at,
        now + Duration::hours(2)
    );
    assert_eq!(
        urgent.deadlines.handle.as_ref().unwrap().due_at,
        now + Duration::hours(24)
    );

    let (pending, now) = world.order_in(OrderState::PendingDispatch);
    let bad = Action::Dispatch {
        lead_department: dept("DEPT-A"),
        assisting_departments: vec![dept("DEPT-A")],
    };
    assert_eq!(
        invalid_field(apply(
            &pending,
            &bad,
            &leader(),
            now,
            &world.calendar,
            &world.limits
        )),
        "assisting_departments"
    );
    let twice = Action::Dispatch {
        lead_department: dept("DEPT-A"),
        assisting_departments: vec![dept("DEPT-B"), dept("DEPT-B")],
    };
    assert_eq!(
        invalid_field(apply(
            &pending,
            &twice,
            &leader(),
            now,
            &world.calendar,
            &world.limits
        )),
        "assisting_departments"
    );
}

#[test]
fn redispatch_restarts_the_clocks_for_the_new_department() {
    let world = World::new();
    let (order, now) = world.order_in(OrderState::InProgress);
    let later = now + Duration::days(1);
    let t = world.apply(&order, redispatch("DEPT-B"), &leader(), later);
    assert_eq!(t.order.lead_department, Some(dept("DEPT-B")));
    assert_eq!(t.order.dispatched_at, Some(later));
    assert!(
        t.order.deadlines.handle.as_ref().unwrap().due_at
            > order.deadlines.handle.as_ref().unwrap().due_at
    );
    assert!(t.changes.contains(&Change::LeadDepartment {
        from: Some(dept("DEPT-A")),
        to: Some(dept("DEPT-B"))
    }));
    assert_eq!(
        invalid_field(apply(
            &order,
            &redispatch("DEPT-A"),
            &leader(),
            later,
            &world.calendar,
            &world.limits
        )),
        "lead_department"
    );
}

#[test]
fn return_only_within_its_window() {
    let world = World::new();
    let (order, _) = world.order_in(OrderState::Signed);
    let until = order.return_until.unwrap();
    // The last instant of the window is still fine; one millisecond later is not.
    assert!(
        apply(
            &order,
            &request_return(),
            &handler(),
            until,
            &world.calendar,
            &world.limits
        )
        .is_ok()
    );
    let late = until + Duration::milliseconds(1);
    assert_eq!(
        invalid_field(apply(
            &order,
            &request_return(),
            &handler(),
            late,
            &world.calendar,
            &world.limits
        )),
        "return_window"
    );
    let empty = Action::RequestReturn {
        reason: "  ".into(),
    };
    assert_eq!(
        invalid_field(apply(
            &order,
            &empty,
            &handler(),
            until,
            &world.calendar,
            &world.limits
        )),
        "reason"
    );
    let long = Action::RequestReturn {
        reason: "长".repeat(1001),
    };
    assert_eq!(
        invalid_field(apply(
            &order,
            &long,
            &handler(),
            until,
            &world.calendar,
            &world.limits
        )),
        "reason"
    );
}

#[test]
fn approved_return_goes_back_to_dispatch_and_refusal_back_to_work() {
    let world = World::new();
    let (requested, now) = world.order_in(OrderState::ReturnRequested);
    let approved = world
        .apply(&requested, Action::ApproveReturn, &leader(), now)
        .order;
    assert_eq!(approved.state, OrderState::PendingDispatch);
    assert_eq!(approved.lead_department, None);
    assert!(approved.deadlines.sign.is_none() && approved.deadlines.handle.is_none());
    // Redispatch (改派) to the right department.
    let again = world.apply(
        &approved,
        dispatch("DEPT-B"),
        &leader(),
        now + Duration::hours(1),
    );
    assert_eq!(again.order.lead_department, Some(dept("DEPT-B")));

    // Refused from InProgress: back to InProgress; from Dispatched: counts as signed.
    let (in_progress, now) = world.order_in(OrderState::InProgress);
    let asked = world
        .apply(&in_progress, request_return(), &handler(), now)
        .order;
    let refuse = Action::RefuseReturn {
        reason: "属于本单位".into(),
    };
    assert_eq!(
        world
            .apply(&asked, refuse.clone(), &leader(), now)
            .order
            .state,
        OrderState::InProgress
    );
    let (dispatched, now) = world.order_in(OrderState::Dispatched);
    let asked = world
        .apply(&dispatched, request_return(), &handler(), now)
        .order;
    let refused = world.apply(&asked, refuse, &leader(), now).order;
    assert_eq!(refused.state, OrderState::Signed);
    assert_eq!(refused.resume_state, None);
}

#[test]
fn extension_rules() {
    let world = World::new();
    let (order, now) = world.order_in(OrderState::InProgress);
    let due = order.deadlines.handle.as_ref().unwrap().due_at;

    assert_eq!(
        invalid_field(apply(
            &order,
            &request_extension(11),
            &handler(),
            now,
            &world.calendar,
            &world.limits
        )),
        "working_days"
    );
    assert_eq!(
        invalid_field(apply(
            &order,
            &request_extension(0),
            &handler(),
            now,
            &world.calendar,
            &world.limits
        )),
        "working_days"
    );
    let after_deadline = due + Duration::milliseconds(1);
    assert_eq!(
        invalid_field(apply(
            &order,
            &request_extension(3),
            &handler(),
            after_deadline,
            &world.calendar,
            &world.limits
        )),
        "handle_by"
    );
    let no_reason = Action::RequestExtension {
        working_days: 3,
        reason: String::new(),
    };
    assert_eq!(
        invalid_field(apply(
            &order,
            &no_reason,
            &handler(),
            now,
            &world.calendar,
            &world.limits
        )),
        "reason"
    );

    // Approved: the deadline (end of Mon 16 March) moves 3 working days to end of Thu 19.
    let asked = world
        .apply(&order, request_extension(3), &handler(), now)
        .order;
    assert_eq!(asked.pending_extension_days, Some(3));
    let more = Action::ApproveExtension {
        working_days: Some(4),
    };
    assert_eq!(
        invalid_field(apply(
            &asked,
            &more,
            &leader(),
            now,
            &world.calendar,
            &world.limits
        )),
        "working_days"
    );
    let t = world.apply(
        &asked,
        Action::ApproveExtension { working_days: None },
        &leader(),
        now,
    );
    assert_eq!(t.to, OrderState::InProgress);
    let new_due = t.order.deadlines.handle.as_ref().unwrap().due_at;
    assert_eq!(to_local_rfc3339(new_due), "2026-03-19T23:59:59.999+08:00");
    assert_eq!(t.order.extension_count, 1);
    assert!(t.changes.contains(&Change::Deadline {
        kind: DeadlineKind::Handle,
        from: Some(due),
        to: Some(new_due)
    }));

    // A second extension is over the configured maximum of one.
    assert_eq!(
        invalid_field(apply(
            &t.order,
            &request_extension(1),
            &handler(),
            now,
            &world.calendar,
            &world.limits
        )),
        "extension_count"
    );

    // The leader may grant fewer days than asked; a refusal changes nothing but the state.
    let fewer = world.apply(
        &asked,
        Action::ApproveExtension {
            working_days: Some(1),
        },
        &leader(),
        now,
    );
    assert_eq!(
        to_local_rfc3339(fewer.order.deadlines.handle.as_ref().unwrap().due_at),
        "2026-03-17T23:59:59.999+08:00"
    );
    let refused = world.apply(
        &asked,
        Action::RefuseExtension {
            reason: "时限充足".into(),
        },
        &leader(),
        now,
    );
    assert_eq!(refused.order.deadlines, order.deadlines);
    assert_eq!(refused.order.extension_count, 0);
    assert_eq!(refused.to, OrderState::InProgress);
}

#[test]
fn full_path_through_reopen_and_close_keeps_one_order() {
    let world = World::new();
    let (done, now) = world.order_in(OrderState::CallbackDone);
    let reopened = world.apply(&done, reopen(), &leader(), now);
    assert_eq!(reopened.order.reopen_count, 1);
    assert!(
        reopened
            .changes
            .contains(&Change::ReopenCount { from: 0, to: 1 })
    );
    // A fresh handling clock from the reopen, no callback clock.
    assert_eq!(
        reopened.order.deadlines.handle.as_ref().unwrap().started_at,
        now
    );
    assert!(reopened.order.deadlines.callback.is_none());

    let mut order = reopened.order;
    let mut t = now;
    let steps = [
        (Action::Start, handler()),
        (reply(), handler()),
        (Action::ApproveReply, leader()),
        (
            Action::Callback {
                outcome: CallbackOutcome::Reached {
                    resolved: true,
                    satisfaction: Satisfaction::Satisfied,
                },
            },
            agent(),
        ),
    ];
    for (action, actor) in steps {
        t += Duration::hours(1);
        order = world.apply(&order, action, &actor, t).order;
    }
    assert_eq!(order.state, OrderState::CallbackDone);
    // Satisfied now: no second reopen, only closing.
    assert_eq!(
        invalid_field(apply(
            &order,
            &reopen(),
            &leader(),
            t,
            &world.calendar,
            &world.limits
        )),
        "last_callback"
    );
    let closed = world.apply(&order, Action::Close, &agent(), t + Duration::hours(1));
    assert_eq!(closed.to, OrderState::Closed);
    assert_eq!(closed.order.reopen_count, 1);
    assert_eq!(closed.order.number, done.number);
    assert_eq!(closed.order.finished_at, Some(t + Duration::hours(1)));
}

#[test]
fn timeliness_is_reported_when_a_clock_stops() {
    let world = World::new();
    let (order, _) = world.order_in(OrderState::Dispatched);
    let sign_due = order.deadlines.sign.as_ref().unwrap().due_at;
    let on_time = world.apply(&order, Action::Sign, &handler(), sign_due);
    assert!(on_time.timeliness.unwrap().on_time);
    let late = world.apply(
        &order,
        Action::Sign,
        &handler(),
        sign_due + Duration::seconds(1),
    );
    let late = late.timeliness.unwrap();
    assert_eq!(late.deadline, DeadlineKind::Sign);
    assert!(!late.on_time);

    // Callback within 24 hours of the reply.
    let (replied, now) = world.order_in(OrderState::Replied);
    assert_eq!(replied.replied_at, Some(now));
    let pending = world
        .apply(&replied, Action::ApproveReply, &leader(), now)
        .order;
    let t = world.apply(
        &pending,
        dissatisfied_callback(),
        &agent(),
        now + Duration::hours(25),
    );
    assert_eq!(t.timeliness.unwrap().deadline, DeadlineKind::Callback);
    assert!(!t.timeliness.unwrap().on_time);
}

#[test]
fn rejected_reply_goes_back_without_a_callback_clock() {
    let world = World::new();
    let (replied, now) = world.order_in(OrderState::Replied);
    assert!(replied.deadlines.callback.is_some());
    let t = world.apply(
        &replied,
        Action::RejectReply {
            reason: "未说明处理结果".into(),
        },
        &leader(),
        now,
    );
    assert_eq!(t.to, OrderState::InProgress);
    assert!(t.order.deadlines.callback.is_none());
    assert_eq!(t.order.replied_at, None);
    assert_eq!(
        t.order.deadlines.handle, replied.deadlines.handle,
        "the original deadline stands"
    );
}

#[test]
fn unreachable_callbacks_need_the_configured_attempts() {
    let world = World::new();
    let (order, now) = world.order_in(OrderState::PendingCallback);
    let two = Action::Callback {
        outcome: CallbackOutcome::Unreachable { attempts: 2 },
    };
    assert_eq!(
        invalid_field(apply(
            &order,
            &two,
            &agent(),
            now,
            &world.calendar,
            &world.limits
        )),
        "attempts"
    );
    let three = Action::Callback {
        outcome: CallbackOutcome::Unreachable { attempts: 3 },
    };
    let done = world.apply(&order, three, &agent(), now).order;
    // Unreachable is not a justified dissatisfaction: no reopen.
    assert_eq!(
        invalid_field(apply(
            &done,
            &reopen(),
            &leader(),
            now,
            &world.calendar,
            &world.limits
        )),
        "last_callback"
    );
}

#[test]
fn supervision_only_rises_and_is_not_a_state() {
    let world = World::new();
    let (order, now) = world.order_in(OrderState::InProgress);
    let reminded = world.apply(
        &order,
        Action::Remind {
            note: String::new(),
        },
        &Actor::System,
        now,
    );
    assert_eq!(reminded.to, OrderState::InProgress);
    assert_eq!(reminded.order.supervision_level, SupervisionLevel::Reminder);
    let county = Actor::user(Role::CountyOffice);
    let yellow = world.apply(
        &reminded.order,
        supervise(SupervisionLevel::YellowCard),
        &county,
        now,
    );
    assert_eq!(yellow.order.supervision_level, SupervisionLevel::YellowCard);
    assert_eq!(
        invalid_field(apply(
            &yellow.order,
            &supervise(SupervisionLevel::Supervision),
            &county,
            now,
            &world.calendar,
            &world.limits
        )),
        "level"
    );
    // A reminder on a yellow-carded order is logged but does not lower the level.
    let again = world.apply(
        &yellow.order,
        Action::Remind {
            note: "请尽快办理".into(),
        },
        &leader(),
        now,
    );
    assert_eq!(again.order.supervision_level, SupervisionLevel::YellowCard);
    assert!(again.changes.is_empty());
}

#[test]
fn terminal_paths_record_why() {
    let world = World::new();
    let (order, now) = world.order_in(OrderState::Registered);
    let merged = world.apply(&order, merge(), &leader(), now);
    assert_eq!(merged.order.merged_into, Some(number(2)));
    assert_eq!(merged.order.finished_at, Some(now));
    let into_self = Action::Merge {
        into: order.number.clone(),
    };
    assert_eq!(
        invalid_field(apply(
            &order,
            &into_self,
            &leader(),
            now,
            &world.calendar,
            &world.limits
        )),
        "into"
    );
    let no_reason = Action::Invalidate {
        category: rexian_orders::InvalidCategory::TestCall,
        reason: String::new(),
    };
    assert_eq!(
        invalid_field(apply(
            &order,
            &no_reason,
            &leader(),
            now,
            &world.calendar,
            &world.limits
        )),
        "reason"
    );
    let no_answer = Action::ResolveDirectly {
        answer: "\n".into(),
    };
    assert_eq!(
        invalid_field(apply(
            &order,
            &no_answer,
            &agent(),
            now,
            &world.calendar,
            &world.limits
        )),
        "answer"
    );
}

#[test]
fn actions_and_transitions_have_stable_json() {
    let action: Action = serde_json::from_str(
        r#"{"action":"dispatch","lead_department":"ZJJ","assisting_departments":["SWJ"]}"#,
    )
    .unwrap();
    assert_eq!(action.kind(), ActionKind::Dispatch);
    let callback: Action = serde_json::from_str(
        r#"{"action":"callback","outcome":{"status":"reached","resolved":true,"satisfaction":"satisfied"}}"#,
    )
    .unwrap();
    assert_eq!(callback.kind(), ActionKind::Callback);
    let emergency: Action =
        serde_json::from_str(r#"{"action":"transfer_to_emergency","service":"120"}"#).unwrap();
    assert_eq!(emergency.kind(), ActionKind::TransferToEmergency);
    assert!(serde_json::from_str::<Action>(r#"{"action":"merge","into":"nonsense"}"#).is_err());
    for &kind in ActionKind::ALL {
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.code());
    }

    let world = World::new();
    let (order, now) = world.order_in(OrderState::PendingDispatch);
    let t = world.apply(&order, dispatch("DEPT-A"), &leader(), now);
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(json["event_type"], "order.dispatched");
    assert_eq!(
        json["changes"][0],
        serde_json::json!({"field": "state", "from": "pending_dispatch", "to": "dispatched"})
    );
    // The snapshot round-trips through JSON, as the store will keep it.
    let text = serde_json::to_string(&t.order).unwrap();
    assert_eq!(
        serde_json::from_str::<rexian_orders::OrderSnapshot>(&text).unwrap(),
        t.order
    );
    let actor: Actor =
        serde_json::from_str(r#"{"type":"user","role":"department_handler","department":"ZJJ"}"#)
            .unwrap();
    assert_eq!(actor, Actor::department_handler(dept("ZJJ")));
}
