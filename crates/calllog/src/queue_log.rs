//! Asterisk `queue_log`: one line per queue event, `epoch|callid|queue|agent|event|data...`,
//! assembled per callid into one call.
//!
//! The data fields as app_queue writes them (older releases wrote fewer, noted):
//!
//! | event | data |
//! | --- | --- |
//! | ENTERQUEUE | url, callerid, original position (newer) |
//! | RINGNOANSWER | ring time in **milliseconds** |
//! | RINGCANCELED | ring time in milliseconds (caller hung up while ringing) |
//! | CONNECT | holdtime s, bridged channel uniqueid, ring time in **seconds** (1.6+) |
//! | COMPLETECALLER / COMPLETEAGENT | holdtime, calltime, original position |
//! | TRANSFER / BLINDTRANSFER | extension, context, holdtime, calltime, original position (1.8+) |
//! | ATTENDEDTRANSFER | BRIDGE\|id, APP\|app or LINK\|chan1\|chan2, then holdtime, calltime, original position |
//! | ABANDON / EXITEMPTY | position, original position, wait time |
//! | EXITWITHTIMEOUT | position, then original position and wait time (newer) |
//! | EXITWITHKEY | key, position, then original position and wait time (newer) |
//! | AGENTLOGOFF | channel, seconds logged in |
//! | PAUSE / UNPAUSE / PAUSEALL / UNPAUSEALL | reason |
//! | PENALTY | new penalty |
//!
//! The data may be one pipe-separated tail (the file) or `data1..data5` padded with empty
//! fields (a realtime table exported with pipes): trailing empty fields are dropped, so
//! both read the same. Agent lines (AGENTLOGIN, PAUSE...) carry `NONE` or the agent
//! channel's uniqueid as callid; they are recognised by their event, not their callid.
//!
//! Streaming: only calls in progress are held, keyed by callid; a call is emitted on its
//! final line. Lines for a callid whose ENTERQUEUE came before the input began (a rotated
//! log) still make a call: its arrival is derived from the hold and talk times.

use std::collections::HashMap;

use crate::dedup;
use crate::error::{LineErrorReason, excerpt};
use crate::model::{
    AgentEventKind, CallOutcome, HangupSide, ImportedAgentEvent, ImportedCall, IncompleteCall,
    IncompleteReason, RingAttempt, RingResult, SourceKind,
};
use crate::options::ImportOptions;
use crate::summary::Emit;
use crate::time::{parse_queue_log_time, seconds, utc};

/// Data fields looked at by position; more are kept in `Data::tail`.
const MAX_DATA: usize = 8;
/// How often (log time) stale calls and old bookkeeping are swept out.
const SWEEP_INTERVAL_SECS: i64 = 300;
/// A DID line whose call never entered a queue (it ended in the IVR) is forgotten after this.
const DID_TTL_SECS: i64 = 3600;
/// Lines for a call this soon after its final line are late echoes, not a new call.
const RECENTLY_CLOSED_SECS: i64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    EnterQueue,
    Did,
    RingNoAnswer,
    RingCanceled,
    SysCompat,
    AgentDump,
    Connect,
    CompleteCaller,
    CompleteAgent,
    Transfer,
    BlindTransfer,
    AttendedTransfer,
    Abandon,
    ExitWithTimeout,
    ExitEmpty,
    ExitWithKey,
    AgentLogin,
    AgentLogoff,
    AgentCallbackLogin,
    AgentCallbackLogoff,
    AddMember,
    RemoveMember,
    Pause,
    Unpause,
    PauseAll,
    UnpauseAll,
    Penalty,
    QueueStart,
    ConfigReload,
    Info,
}

const EVENTS: [(&str, Event); 30] = [
    ("ENTERQUEUE", Event::EnterQueue),
    ("DID", Event::Did),
    ("RINGNOANSWER", Event::RingNoAnswer),
    ("RINGCANCELED", Event::RingCanceled),
    ("SYSCOMPAT", Event::SysCompat),
    ("AGENTDUMP", Event::AgentDump),
    ("CONNECT", Event::Connect),
    ("COMPLETECALLER", Event::CompleteCaller),
    ("COMPLETEAGENT", Event::CompleteAgent),
    ("TRANSFER", Event::Transfer),
    ("BLINDTRANSFER", Event::BlindTransfer),
    ("ATTENDEDTRANSFER", Event::AttendedTransfer),
    ("ABANDON", Event::Abandon),
    ("EXITWITHTIMEOUT", Event::ExitWithTimeout),
    ("EXITEMPTY", Event::ExitEmpty),
    ("EXITWITHKEY", Event::ExitWithKey),
    ("AGENTLOGIN", Event::AgentLogin),
    ("AGENTLOGOFF", Event::AgentLogoff),
    ("AGENTCALLBACKLOGIN", Event::AgentCallbackLogin),
    ("AGENTCALLBACKLOGOFF", Event::AgentCallbackLogoff),
    ("ADDMEMBER", Event::AddMember),
    ("REMOVEMEMBER", Event::RemoveMember),
    ("PAUSE", Event::Pause),
    ("UNPAUSE", Event::Unpause),
    ("PAUSEALL", Event::PauseAll),
    ("UNPAUSEALL", Event::UnpauseAll),
    ("PENALTY", Event::Penalty),
    ("QUEUESTART", Event::QueueStart),
    ("CONFIGRELOAD", Event::ConfigReload),
    ("INFO", Event::Info),
];

impl Event {
    fn parse(name: &str) -> Option<Event> {
        EVENTS
            .iter()
            .find(|(text, _)| *text == name)
            .map(|(_, event)| *event)
    }

    fn name(self) -> &'static str {
        EVENTS
            .iter()
            .find(|(_, event)| *event == self)
            .map_or("?", |(text, _)| text)
    }
}

/// The data fields after `event`, trailing empty ones dropped.
struct Data<'a> {
    items: [&'a str; MAX_DATA],
    len: usize,
    /// All of it, for events whose variable part is in the middle (ATTENDEDTRANSFER).
    tail: &'a str,
}

impl<'a> Data<'a> {
    fn parse(tail: &'a str) -> Data<'a> {
        let tail = tail.trim_end_matches(|c: char| c == '|' || c.is_whitespace());
        let mut items = [""; MAX_DATA];
        let mut len = 0;
        if !tail.is_empty() {
            for (slot, part) in items.iter_mut().zip(tail.split('|')) {
                *slot = part.trim();
                len += 1;
            }
        }
        Data { items, len, tail }
    }

    fn get(&self, index: usize) -> Option<&'a str> {
        self.items[..self.len].get(index).copied()
    }

    /// A field that carries text; empty is absent.
    fn text(&self, index: usize) -> Option<&'a str> {
        self.get(index).filter(|s| !s.is_empty())
    }

    fn count(&self) -> usize {
        if self.tail.is_empty() {
            0
        } else {
            self.tail.split('|').count()
        }
    }
}

struct Line<'a> {
    time: &'a str,
    callid: &'a str,
    queue: &'a str,
    agent: &'a str,
    event: &'a str,
    data: Data<'a>,
}

fn split_line(line: &str) -> Result<Line<'_>, LineErrorReason> {
    let mut parts = line.splitn(6, '|');
    let (Some(time), Some(callid), Some(queue), Some(agent), Some(event)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(LineErrorReason::WrongColumnCount {
            found: line.split('|').count(),
            expected: "at least 5: epoch|callid|queue|agent|event".to_owned(),
        });
    };
    Ok(Line {
        time: time.trim(),
        callid: callid.trim(),
        queue: queue.trim(),
        agent: agent.trim(),
        event: event.trim(),
        data: Data::parse(parts.next().unwrap_or("")),
    })
}

fn number(event: Event, field: &str, value: &str) -> Result<u32, LineErrorReason> {
    value
        .trim()
        .parse::<u32>()
        .map_err(|_| LineErrorReason::BadNumber {
            field: format!("{} {field}", event.name()),
            value: excerpt(value),
        })
}

fn optional_number(
    event: Event,
    field: &str,
    value: Option<&str>,
) -> Result<Option<u32>, LineErrorReason> {
    match value.filter(|v| !v.is_empty()) {
        Some(v) => number(event, field, v).map(Some),
        None => Ok(None),
    }
}

fn require(event: Event, data: &Data<'_>, needed: usize) -> Result<(), LineErrorReason> {
    let found = data.count();
    if found < needed {
        return Err(LineErrorReason::MissingData {
            event: event.name().to_owned(),
            needed,
            found,
        });
    }
    Ok(())
}

/// `None` for the placeholders Asterisk writes when there is no such thing.
fn present(value: &str) -> Option<&str> {
    let value = value.trim();
    let absent = value.is_empty()
        || value == "NONE"
        || value.eq_ignore_ascii_case("unknown")
        || value.eq_ignore_ascii_case("anonymous");
    (!absent).then_some(value)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EndKind {
    CompleteCaller,
    CompleteAgent,
    Transfer,
    Abandon,
    Timeout,
    Empty,
    Key,
}

impl EndKind {
    fn was_answered(self) -> bool {
        matches!(
            self,
            EndKind::CompleteCaller | EndKind::CompleteAgent | EndKind::Transfer
        )
    }
}

/// The final line of a call, parsed.
struct End {
    kind: EndKind,
    hold: Option<u32>,
    talk: Option<u32>,
    wait: Option<u32>,
    original_position: Option<u32>,
    target: Option<String>,
    key: Option<String>,
}

impl End {
    fn new(kind: EndKind) -> End {
        End {
            kind,
            hold: None,
            talk: None,
            wait: None,
            original_position: None,
            target: None,
            key: None,
        }
    }
}

/// What a call line does to its call.
enum Step<'a> {
    Ring {
        result: RingResult,
        ring_ms: Option<u32>,
    },
    Connect {
        hold: u32,
        bridged: Option<&'a str>,
        ring_seconds: Option<u32>,
    },
    End(End),
}

fn parse_step<'a>(event: Event, d: &Data<'a>) -> Result<Step<'a>, LineErrorReason> {
    let step = match event {
        Event::RingNoAnswer | Event::RingCanceled => Step::Ring {
            result: if event == Event::RingNoAnswer {
                RingResult::NoAnswer
            } else {
                RingResult::Canceled
            },
            ring_ms: optional_number(event, "ring time", d.get(0))?,
        },
        Event::SysCompat => Step::Ring {
            result: RingResult::Incompatible,
            ring_ms: None,
        },
        Event::AgentDump => Step::Ring {
            result: RingResult::AgentDumped,
            ring_ms: None,
        },
        Event::Connect => {
            require(event, d, 1)?;
            Step::Connect {
                hold: number(event, "holdtime", d.get(0).unwrap_or(""))?,
                bridged: d.text(1),
                ring_seconds: optional_number(event, "ring time", d.get(2))?,
            }
        }
        Event::CompleteCaller | Event::CompleteAgent => {
            require(event, d, 2)?;
            let mut end = End::new(if event == Event::CompleteCaller {
                EndKind::CompleteCaller
            } else {
                EndKind::CompleteAgent
            });
            end.hold = Some(number(event, "holdtime", d.get(0).unwrap_or(""))?);
            end.talk = Some(number(event, "calltime", d.get(1).unwrap_or(""))?);
            end.original_position = optional_number(event, "original position", d.get(2))?;
            Step::End(end)
        }
        Event::Transfer | Event::BlindTransfer => {
            require(event, d, 4)?;
            let mut end = End::new(EndKind::Transfer);
            let exten = d.get(0).unwrap_or("");
            let context = d.get(1).unwrap_or("");
            end.target = Some(if context.is_empty() {
                exten.to_owned()
            } else {
                format!("{exten}@{context}")
            });
            end.hold = Some(number(event, "holdtime", d.get(2).unwrap_or(""))?);
            end.talk = Some(number(event, "calltime", d.get(3).unwrap_or(""))?);
            end.original_position = optional_number(event, "original position", d.get(4))?;
            Step::End(end)
        }
        Event::AttendedTransfer => {
            require(event, d, 4)?;
            // method|target...|holdtime|calltime|origposition: the target has one or two
            // parts, so read the numbers from the end.
            let mut from_end = d.tail.rsplitn(4, '|');
            let position = from_end.next().unwrap_or("");
            let talk = from_end.next().unwrap_or("");
            let hold = from_end.next().unwrap_or("");
            let target = from_end.next().unwrap_or("");
            let mut end = End::new(EndKind::Transfer);
            end.original_position = Some(number(event, "original position", position)?);
            end.talk = Some(number(event, "calltime", talk)?);
            end.hold = Some(number(event, "holdtime", hold)?);
            end.target = Some(target.trim().to_owned());
            Step::End(end)
        }
        Event::Abandon | Event::ExitEmpty | Event::ExitWithTimeout => {
            let needed = if event == Event::ExitWithTimeout {
                1
            } else {
                3
            };
            require(event, d, needed)?;
            let mut end = End::new(match event {
                Event::Abandon => EndKind::Abandon,
                Event::ExitEmpty => EndKind::Empty,
                _ => EndKind::Timeout,
            });
            number(event, "position", d.get(0).unwrap_or(""))?;
            end.original_position = optional_number(event, "original position", d.get(1))?;
            end.wait = optional_number(event, "wait time", d.get(2))?;
            Step::End(end)
        }
        Event::ExitWithKey => {
            require(event, d, 2)?;
            let mut end = End::new(EndKind::Key);
            end.key = d.text(0).map(str::to_owned);
            number(event, "position", d.get(1).unwrap_or(""))?;
            end.original_position = optional_number(event, "original position", d.get(2))?;
            end.wait = optional_number(event, "wait time", d.get(3))?;
            Step::End(end)
        }
        other => {
            return Err(LineErrorReason::UnknownEvent {
                event: other.name().to_owned(),
            });
        }
    };
    Ok(step)
}

struct Answer {
    epoch: i64,
    agent: Option<String>,
    hold: u32,
}

/// A call between its first and its final line.
struct OpenCall {
    queue: String,
    /// ENTERQUEUE's time; `None` when the input began mid-call.
    entered_epoch: Option<i64>,
    first_epoch: i64,
    caller: Option<String>,
    called: Option<String>,
    original_position: Option<u32>,
    attempts: Vec<RingAttempt>,
    answer: Option<Answer>,
    linked_id: Option<String>,
    first_line: u64,
    last_line: u64,
    last_epoch: i64,
    last_event: Event,
}

/// The queue_log state machine: calls in progress and a little bookkeeping, nothing else.
#[derive(Default)]
pub(crate) struct QueueLogAssembler {
    open: HashMap<Box<str>, OpenCall>,
    /// DID lines waiting for their ENTERQUEUE: callid → (number, epoch, line number).
    pending_dids: HashMap<Box<str>, (String, i64, u64)>,
    /// Calls that just ended: callid → epoch of the final line.
    recently_closed: HashMap<Box<str>, i64>,
    next_sweep_epoch: i64,
}

impl QueueLogAssembler {
    pub(crate) fn open_calls(&self) -> usize {
        self.open.len()
    }

    pub(crate) fn push_line(
        &mut self,
        options: &ImportOptions,
        line_number: u64,
        line: &str,
        emit: &mut Emit<'_>,
    ) {
        if line.trim().is_empty() {
            emit.blank();
            return;
        }
        if let Err(reason) = self.process(options, line_number, line, emit) {
            emit.line_error(line_number, reason);
        }
    }

    /// End of input: every call still open is reported incomplete.
    pub(crate) fn finish(&mut self, emit: &mut Emit<'_>) {
        let ids: Vec<Box<str>> = self.open.keys().cloned().collect();
        self.flush(ids, IncompleteReason::EndOfInput, emit);
        self.pending_dids.clear();
        self.recently_closed.clear();
    }

    fn process(
        &mut self,
        options: &ImportOptions,
        n: u64,
        raw: &str,
        emit: &mut Emit<'_>,
    ) -> Result<(), LineErrorReason> {
        let line = split_line(raw)?;
        if line.time.eq_ignore_ascii_case("time") && line.event.eq_ignore_ascii_case("event") {
            // Header row of a table export.
            emit.ignored();
            return Ok(());
        }
        let epoch = parse_queue_log_time(line.time, options.local_offset)?;
        let event = Event::parse(line.event).ok_or_else(|| LineErrorReason::UnknownEvent {
            event: excerpt(line.event),
        })?;
        self.sweep(options, epoch, emit);
        match event {
            Event::QueueStart => {
                // app_queue (re)started: nothing open before it will ever finish.
                let ids: Vec<Box<str>> = self.open.keys().cloned().collect();
                self.flush(ids, IncompleteReason::QueueRestarted, emit);
                self.pending_dids.clear();
                emit.ignored();
                Ok(())
            }
            Event::ConfigReload | Event::Info => {
                emit.ignored();
                Ok(())
            }
            Event::AgentLogin
            | Event::AgentLogoff
            | Event::AgentCallbackLogin
            | Event::AgentCallbackLogoff
            | Event::AddMember
            | Event::RemoveMember
            | Event::Pause
            | Event::Unpause
            | Event::PauseAll
            | Event::UnpauseAll
            | Event::Penalty => self.agent_event(options, n, raw, epoch, event, &line, emit),
            Event::Did => self.did(n, epoch, &line, emit),
            Event::EnterQueue => self.enter(n, epoch, &line, emit),
            _ => self.call_line(options, n, epoch, event, &line, emit),
        }
    }

    fn callid<'a>(line: &Line<'a>) -> Result<&'a str, LineErrorReason> {
        present(line.callid).ok_or_else(|| LineErrorReason::MissingField {
            field: "callid".to_owned(),
        })
    }

    fn queue<'a>(line: &Line<'a>) -> Result<&'a str, LineErrorReason> {
        present(line.queue).ok_or_else(|| LineErrorReason::MissingField {
            field: "queue".to_owned(),
        })
    }

    fn did(
        &mut self,
        n: u64,
        epoch: i64,
        line: &Line<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), LineErrorReason> {
        let callid = Self::callid(line)?;
        require(Event::Did, &line.data, 1)?;
        let did = line.data.get(0).unwrap_or("").to_owned();
        match self.open.get_mut(callid) {
            Some(call) => {
                call.called = Some(did);
                call.last_line = n;
            }
            None => {
                self.pending_dids.insert(callid.into(), (did, epoch, n));
            }
        }
        emit.accepted();
        Ok(())
    }

    fn enter(
        &mut self,
        n: u64,
        epoch: i64,
        line: &Line<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), LineErrorReason> {
        let callid = Self::callid(line)?;
        let queue = Self::queue(line)?;
        let original_position =
            optional_number(Event::EnterQueue, "original position", line.data.get(2))?;
        if self.open.contains_key(callid) {
            self.flush(vec![callid.into()], IncompleteReason::ReEntered, emit);
        }
        let (called, first_line) = match self.pending_dids.remove(callid) {
            Some((did, _, did_line)) => (Some(did), did_line.min(n)),
            None => (None, n),
        };
        self.recently_closed.remove(callid);
        self.open.insert(
            callid.into(),
            OpenCall {
                queue: queue.to_owned(),
                entered_epoch: Some(epoch),
                first_epoch: epoch,
                caller: line.data.get(1).and_then(present).map(str::to_owned),
                called,
                original_position,
                attempts: Vec::new(),
                answer: None,
                linked_id: None,
                first_line,
                last_line: n,
                last_epoch: epoch,
                last_event: Event::EnterQueue,
            },
        );
        emit.accepted();
        Ok(())
    }

    fn call_line(
        &mut self,
        options: &ImportOptions,
        n: u64,
        epoch: i64,
        event: Event,
        line: &Line<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), LineErrorReason> {
        let callid = Self::callid(line)?;
        let step = parse_step(event, &line.data)?;
        if !self.open.contains_key(callid) {
            if self.recently_closed.contains_key(callid) {
                // An echo of a call that just ended (e.g. COMPLETECALLER after TRANSFER in
                // some releases): the call is already imported.
                emit.ignored();
                return Ok(());
            }
            // The input began after this call's ENTERQUEUE.
            let queue = Self::queue(line)?;
            self.open.insert(
                callid.into(),
                OpenCall {
                    queue: queue.to_owned(),
                    entered_epoch: None,
                    first_epoch: epoch,
                    caller: None,
                    called: self.pending_dids.remove(callid).map(|(did, _, _)| did),
                    original_position: None,
                    attempts: Vec::new(),
                    answer: None,
                    linked_id: None,
                    first_line: n,
                    last_line: n,
                    last_epoch: epoch,
                    last_event: event,
                },
            );
        }
        let agent = present(line.agent);
        let Some(call) = self.open.get_mut(callid) else {
            return Ok(());
        };
        let unanswered_end = matches!(&step, Step::End(end) if !end.kind.was_answered());
        if call.answer.is_some() && (matches!(step, Step::Connect { .. }) || unanswered_end) {
            return Err(LineErrorReason::OutOfOrder {
                event: event.name().to_owned(),
                detail: "the call was already answered".to_owned(),
            });
        }
        call.last_line = n;
        call.last_epoch = call.last_epoch.max(epoch);
        call.last_event = event;
        match step {
            Step::Ring { result, ring_ms } => {
                if let Some(agent) = agent {
                    let agent_code = options.ring_agent_code(agent, emit.summary);
                    call.attempts.push(RingAttempt {
                        agent_interface: agent.to_owned(),
                        agent_code,
                        at: utc(epoch),
                        ring_ms,
                        result,
                    });
                }
                emit.accepted();
            }
            Step::Connect {
                hold,
                bridged,
                ring_seconds,
            } => {
                if let Some(agent) = agent {
                    let agent_code = options.ring_agent_code(agent, emit.summary);
                    call.attempts.push(RingAttempt {
                        agent_interface: agent.to_owned(),
                        agent_code,
                        at: utc(epoch),
                        ring_ms: ring_seconds.map(|s| s.saturating_mul(1000)),
                        result: RingResult::Answered,
                    });
                }
                call.answer = Some(Answer {
                    epoch,
                    agent: agent.map(str::to_owned),
                    hold,
                });
                call.linked_id = bridged.map(str::to_owned);
                emit.accepted();
            }
            Step::End(end) => {
                emit.accepted();
                if let Some((id, call)) = self.open.remove_entry(callid) {
                    self.close(options, id, call, end, agent, epoch, n, emit);
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn close(
        &mut self,
        options: &ImportOptions,
        callid: Box<str>,
        call: OpenCall,
        end: End,
        line_agent: Option<&str>,
        epoch: i64,
        n: u64,
        emit: &mut Emit<'_>,
    ) {
        let answered = end.kind.was_answered();
        let (answer_epoch, agent, hold) = match (&call.answer, answered) {
            (_, false) => (None, None, None),
            (Some(a), true) => (Some(a.epoch), a.agent.clone(), Some(a.hold)),
            // No CONNECT line (lost, or before the input began): the end line has it all.
            (None, true) => (
                Some(epoch - i64::from(end.talk.unwrap_or(0))),
                line_agent.map(str::to_owned),
                end.hold,
            ),
        };
        let arrival = call
            .entered_epoch
            .unwrap_or_else(|| match (answer_epoch, hold, end.wait) {
                (Some(answered_at), Some(hold), _) => answered_at - i64::from(hold),
                (None, _, Some(wait)) => epoch - i64::from(wait),
                _ => call.first_epoch,
            });
        let (wait_seconds, talk_seconds) = match answer_epoch {
            Some(answered_at) => (
                hold.unwrap_or_else(|| seconds(answered_at - arrival)),
                end.talk.unwrap_or_else(|| seconds(epoch - answered_at)),
            ),
            None => (end.wait.unwrap_or_else(|| seconds(epoch - arrival)), 0),
        };
        let (outcome, hangup_side) = match end.kind {
            EndKind::CompleteCaller => (CallOutcome::Answered, Some(HangupSide::Caller)),
            EndKind::CompleteAgent => (CallOutcome::Answered, Some(HangupSide::Agent)),
            EndKind::Transfer => (CallOutcome::Transferred, None),
            EndKind::Abandon if wait_seconds < options.short_abandon_seconds => {
                (CallOutcome::ShortAbandoned, Some(HangupSide::Caller))
            }
            EndKind::Abandon => (CallOutcome::Abandoned, Some(HangupSide::Caller)),
            EndKind::Timeout => (CallOutcome::Overflowed, Some(HangupSide::System)),
            EndKind::Empty => (CallOutcome::ExitEmpty, Some(HangupSide::System)),
            EndKind::Key => (CallOutcome::ExitWithKey, Some(HangupSide::Caller)),
        };
        self.recently_closed.insert(callid.clone(), epoch);

        let queue_code = match options.resolve_queue(&call.queue, emit.summary) {
            Ok(code) => code,
            Err(reason) => return emit.call_error(n, reason),
        };
        let agent_code = match agent.as_deref() {
            Some(agent) => match options.resolve_agent(agent, emit.summary) {
                Ok(code) => Some(code),
                Err(reason) => return emit.call_error(n, reason),
            },
            None => None,
        };
        let dedup_key = dedup::key(
            SourceKind::AsteriskQueueLog,
            options.source_instance.as_deref(),
            &[&callid, &call.queue, &arrival.to_string()],
        );
        emit.call(ImportedCall {
            source: SourceKind::AsteriskQueueLog,
            dedup_key,
            source_call_id: callid.into(),
            linked_id: call.linked_id,
            first_line_number: call.first_line,
            last_line_number: n,
            caller_number: call.caller,
            called_number: call.called,
            queue_name: Some(call.queue),
            queue_code: Some(queue_code),
            agent_interface: agent,
            agent_code,
            arrived_at: utc(arrival),
            answered_at: answer_epoch.map(utc),
            ended_at: utc(epoch),
            wait_seconds,
            talk_seconds,
            ring_attempts: call.attempts,
            outcome,
            hangup_side,
            transfer_target: end.target,
            exit_key: end.key,
            disposition: None,
            original_position: end.original_position.or(call.original_position),
            entry_logged: call.entered_epoch.is_some(),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn agent_event(
        &mut self,
        options: &ImportOptions,
        n: u64,
        raw: &str,
        epoch: i64,
        event: Event,
        line: &Line<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), LineErrorReason> {
        let agent = present(line.agent).ok_or_else(|| LineErrorReason::MissingField {
            field: "agent".to_owned(),
        })?;
        let d = &line.data;
        let mut all_queues = false;
        let mut reason = None;
        let mut session_seconds = None;
        let mut penalty = None;
        let kind = match event {
            Event::AgentLogin | Event::AgentCallbackLogin => AgentEventKind::LoggedIn,
            Event::AgentLogoff => {
                session_seconds = optional_number(event, "logintime", d.get(1))?;
                AgentEventKind::LoggedOut
            }
            Event::AgentCallbackLogoff => {
                session_seconds = optional_number(event, "logintime", d.get(1))?;
                reason = d.text(2);
                AgentEventKind::LoggedOut
            }
            Event::AddMember => AgentEventKind::MemberAdded,
            Event::RemoveMember => AgentEventKind::MemberRemoved,
            Event::Pause | Event::PauseAll | Event::Unpause | Event::UnpauseAll => {
                all_queues = matches!(event, Event::PauseAll | Event::UnpauseAll);
                reason = d.text(0);
                if matches!(event, Event::Pause | Event::PauseAll) {
                    AgentEventKind::Paused
                } else {
                    AgentEventKind::Unpaused
                }
            }
            Event::Penalty => {
                require(event, d, 1)?;
                let value = d.get(0).unwrap_or("");
                penalty = Some(
                    value
                        .parse::<i32>()
                        .map_err(|_| LineErrorReason::BadNumber {
                            field: "PENALTY penalty".to_owned(),
                            value: excerpt(value),
                        })?,
                );
                AgentEventKind::PenaltyChanged
            }
            other => {
                return Err(LineErrorReason::UnknownEvent {
                    event: other.name().to_owned(),
                });
            }
        };
        let queue_name = present(line.queue);
        let queue_code = match queue_name {
            Some(queue) => Some(options.resolve_queue(queue, emit.summary)?),
            None => None,
        };
        let agent_code = options.resolve_agent(agent, emit.summary)?;
        let dedup_key = dedup::key(
            SourceKind::AsteriskQueueLog,
            options.source_instance.as_deref(),
            &["agent", &dedup::line_hash([raw])],
        );
        emit.accepted();
        emit.agent_event(ImportedAgentEvent {
            source: SourceKind::AsteriskQueueLog,
            dedup_key,
            line_number: n,
            at: utc(epoch),
            agent_interface: agent.to_owned(),
            agent_code,
            kind,
            queue_name: queue_name.map(str::to_owned),
            queue_code,
            all_queues,
            reason: reason.map(str::to_owned),
            reason_code: reason
                .and_then(|r| options.mapping.pause_reason_code(r))
                .map(str::to_owned),
            session_seconds,
            penalty,
        });
        Ok(())
    }

    /// Every few minutes of log time: report calls silent for too long and forget old
    /// bookkeeping, so memory follows the calls really in progress.
    fn sweep(&mut self, options: &ImportOptions, now: i64, emit: &mut Emit<'_>) {
        if now < self.next_sweep_epoch {
            return;
        }
        self.next_sweep_epoch = now + SWEEP_INTERVAL_SECS;
        let stale_after = i64::from(options.stale_call_seconds);
        let stale: Vec<Box<str>> = self
            .open
            .iter()
            .filter(|(_, call)| call.last_epoch + stale_after < now)
            .map(|(id, _)| id.clone())
            .collect();
        self.flush(stale, IncompleteReason::Stale, emit);
        self.pending_dids
            .retain(|_, (_, at, _)| *at + DID_TTL_SECS >= now);
        self.recently_closed
            .retain(|_, at| *at + RECENTLY_CLOSED_SECS >= now);
    }

    /// Report open calls as incomplete, in the order they began.
    fn flush(&mut self, ids: Vec<Box<str>>, reason: IncompleteReason, emit: &mut Emit<'_>) {
        let mut calls: Vec<(Box<str>, OpenCall)> = ids
            .into_iter()
            .filter_map(|id| self.open.remove_entry(&id))
            .collect();
        calls.sort_by_key(|(_, call)| call.first_line);
        for (callid, call) in calls {
            let (answered_at, agent_interface) = match call.answer {
                Some(answer) => (Some(utc(answer.epoch)), answer.agent),
                None => (None, None),
            };
            emit.incomplete(IncompleteCall {
                source: SourceKind::AsteriskQueueLog,
                source_call_id: callid.into(),
                queue_name: call.queue,
                caller_number: call.caller,
                arrived_at: call.entered_epoch.map(utc),
                answered_at,
                agent_interface,
                first_line_number: call.first_line,
                last_line_number: call.last_line,
                last_event: call.last_event.name().to_owned(),
                last_seen_at: utc(call.last_epoch),
                reason,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_name_round_trips() {
        for (name, event) in EVENTS {
            assert_eq!(Event::parse(name), Some(event));
            assert_eq!(event.name(), name);
        }
        assert_eq!(Event::parse("connect"), None);
    }

    #[test]
    fn padded_data_reads_like_a_pipe_tail() {
        let padded = Data::parse("3|1700000000.5|2||");
        let tail = Data::parse("3|1700000000.5|2");
        assert_eq!(padded.count(), 3);
        assert_eq!(tail.count(), 3);
        assert_eq!(padded.get(1), tail.get(1));
        assert_eq!(padded.get(3), None);
        // A leading empty field (ENTERQUEUE's url) is kept.
        let enter = Data::parse("|13800138000|1");
        assert_eq!(enter.get(0), Some(""));
        assert_eq!(enter.get(1), Some("13800138000"));
    }
}
