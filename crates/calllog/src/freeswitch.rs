//! FreeSWITCH mod_cdr_csv with the default `example` template of cdr_csv.conf.xml, every
//! field quoted:
//!
//! `"${caller_id_name}","${caller_id_number}","${destination_number}","${context}",
//! "${start_stamp}","${answer_stamp}","${end_stamp}","${duration}","${billsec}",
//! "${hangup_cause}","${uuid}","${bleg_uuid}","${accountcode}","${read_codec}","${write_codec}"`
//!
//! Stamps are `YYYY-MM-DD HH:MM:SS` in the switch's local time; `answer_stamp` is empty when
//! the call was not answered. One record per a-leg (`legs="a"`, the default).
//!
//! The template names no agent: the queue is looked up by `destination_number`, and a
//! destination that the mapping knows as an agent (`user/<destination>`) is a call straight
//! to that agent.

use crate::csvline;
use crate::dedup;
use crate::error::{LineErrorReason, excerpt};
use crate::model::{CallOutcome, HangupSide, ImportedCall, RingAttempt, RingResult, SourceKind};
use crate::options::ImportOptions;
use crate::summary::Emit;
use crate::time::{parse_stamp, seconds};

const COLUMNS: usize = 15;

fn non_empty(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn stamp_text(at: chrono::DateTime<chrono::Utc>, options: &ImportOptions) -> String {
    at.with_timezone(&options.local_offset)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[derive(Default)]
pub(crate) struct FreeswitchAssembler {
    seen_record: bool,
    csv: csvline::CsvLineParser,
}

impl FreeswitchAssembler {
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
        let first_record = !self.seen_record;
        self.seen_record = true;
        let fields = match self.csv.fields(line) {
            Ok(fields) => fields,
            Err(reason) => return emit.line_error(line_number, reason),
        };
        if first_record
            && fields.len() > 4
            && matches!(fields[4].trim(), "start_stamp" | "${start_stamp}")
        {
            return emit.ignored();
        }
        match parse(options, line_number, &fields, emit) {
            Ok(Ok(call)) => {
                emit.accepted();
                emit.call(call);
            }
            Ok(Err(reason)) => {
                // Well-formed, but the queue or agent is not mapped.
                emit.accepted();
                emit.call_error(line_number, reason);
            }
            Err(reason) => emit.line_error(line_number, reason),
        }
    }
}

type Mapped = Result<ImportedCall, LineErrorReason>;

fn parse(
    options: &ImportOptions,
    line_number: u64,
    f: &[String],
    emit: &mut Emit<'_>,
) -> Result<Mapped, LineErrorReason> {
    if f.len() != COLUMNS {
        return Err(LineErrorReason::WrongColumnCount {
            found: f.len(),
            expected: COLUMNS.to_string(),
        });
    }
    let offset = options.local_offset;
    let required = |index: usize, field: &str| {
        if f[index].trim().is_empty() {
            Err(LineErrorReason::MissingField {
                field: field.to_owned(),
            })
        } else {
            Ok(f[index].as_str())
        }
    };
    let start = parse_stamp("start_stamp", required(4, "start_stamp")?, offset)?;
    let answer = match f[5].trim() {
        "" => None,
        text => Some(parse_stamp("answer_stamp", text, offset)?),
    };
    let end = parse_stamp("end_stamp", required(6, "end_stamp")?, offset)?;
    let number = |index: usize, field: &str| {
        f[index]
            .trim()
            .parse::<u32>()
            .map_err(|_| LineErrorReason::BadNumber {
                field: field.to_owned(),
                value: excerpt(&f[index]),
            })
    };
    let duration = number(7, "duration")?;
    let billsec = number(8, "billsec")?;
    let cause = required(9, "hangup_cause")?.trim().to_owned();
    if let Some(answer) = answer {
        if answer < start {
            return Err(LineErrorReason::AnswerBeforeStart {
                start: stamp_text(start, options),
                answer: stamp_text(answer, options),
            });
        }
        if end < answer {
            return Err(LineErrorReason::EndBeforeAnswer {
                answer: stamp_text(answer, options),
                end: stamp_text(end, options),
            });
        }
    }
    if end < start {
        return Err(LineErrorReason::EndBeforeStart {
            start: stamp_text(start, options),
            end: stamp_text(end, options),
        });
    }
    let destination = f[2].trim();
    let uuid = non_empty(&f[10]);
    let bleg = non_empty(&f[11]);

    let bridged = answer.is_some() && bleg.is_some();
    let (outcome, hangup_side) = match (answer, bridged, cause.as_str()) {
        (Some(_), true, _) => (CallOutcome::Answered, None),
        // Answered by the switch (IVR, queue music) but never bridged to anyone.
        (Some(_), false, _) => (short_or_abandoned(options, duration), None),
        (None, _, "ORIGINATOR_CANCEL") => (
            short_or_abandoned(options, duration),
            Some(HangupSide::Caller),
        ),
        (None, _, "NORMAL_CLEARING") => (short_or_abandoned(options, duration), None),
        (None, _, "NO_ANSWER" | "NO_USER_RESPONSE" | "ALLOTTED_TIMEOUT" | "PROGRESS_TIMEOUT") => {
            (CallOutcome::NotAnswered, Some(HangupSide::System))
        }
        (None, _, "USER_BUSY") => (CallOutcome::Busy, Some(HangupSide::System)),
        (None, _, _) => (CallOutcome::Failed, Some(HangupSide::System)),
    };

    // A destination known as an agent's extension is a direct call to that agent.
    let agent_key = format!("user/{destination}");
    let direct_agent = options.mapping.agent_code(&agent_key).map(str::to_owned);
    let queue_name = match direct_agent {
        Some(_) => None,
        None => non_empty(destination),
    };
    let queue_code = match &queue_name {
        Some(name) => match options.resolve_queue(name, emit.summary) {
            Ok(code) => Some(code),
            Err(reason) => return Ok(Err(reason)),
        },
        None => None,
    };
    let (agent_interface, agent_code) = match direct_agent {
        Some(code) => (Some(agent_key), Some(code)),
        None => (None, None),
    };
    let answered = outcome.is_answered();
    let ring_attempts = match (&agent_interface, &agent_code) {
        (Some(interface), Some(code)) => vec![RingAttempt {
            agent_interface: interface.clone(),
            agent_code: Some(code.clone()),
            at: answer.unwrap_or(end),
            ring_ms: None,
            result: if answered {
                RingResult::Answered
            } else {
                RingResult::NoAnswer
            },
        }],
        _ => Vec::new(),
    };
    let instance = options.source_instance.as_deref();
    let dedup_key = match &uuid {
        Some(uuid) => dedup::key(SourceKind::FreeswitchCdr, instance, &[uuid]),
        None => dedup::key(
            SourceKind::FreeswitchCdr,
            instance,
            &["line", &dedup::line_hash(f.iter().map(String::as_str))],
        ),
    };
    let (answered_at, wait_seconds, talk_seconds) = match (answered, answer) {
        (true, Some(answer)) => (
            Some(answer),
            seconds((answer - start).num_seconds()),
            billsec,
        ),
        // Unanswered: the whole call was waiting, as the switch counted it.
        _ => (None, duration, 0),
    };
    Ok(Ok(ImportedCall {
        source: SourceKind::FreeswitchCdr,
        dedup_key,
        source_call_id: uuid.unwrap_or_default(),
        linked_id: bleg,
        first_line_number: line_number,
        last_line_number: line_number,
        caller_number: non_empty(&f[1]),
        called_number: non_empty(destination),
        queue_name,
        queue_code,
        agent_interface: if answered { agent_interface } else { None },
        agent_code: if answered { agent_code } else { None },
        arrived_at: start,
        answered_at,
        ended_at: end,
        wait_seconds,
        talk_seconds,
        ring_attempts,
        outcome,
        hangup_side,
        transfer_target: None,
        exit_key: None,
        disposition: Some(cause),
        original_position: None,
        entry_logged: true,
    }))
}

fn short_or_abandoned(options: &ImportOptions, wait: u32) -> CallOutcome {
    if wait < options.short_abandon_seconds {
        CallOutcome::ShortAbandoned
    } else {
        CallOutcome::Abandoned
    }
}
