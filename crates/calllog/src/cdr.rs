//! Asterisk `Master.csv` (cdr_csv). Columns as cdr_csv writes them:
//!
//! `accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start,
//! answer, end, duration, billsec, disposition, amaflags` (16), then, as cdr.conf `[csv]`
//! enables them, `uniqueid` (`loguniqueid`) and `userfield` (`loguserfield`) — that is the
//! order in cdr_csv's source — and a 19th column read as `linkedid`, as a cdr_custom
//! template extending Master.csv writes it. With 17 columns the last one is taken as the
//! uniqueid when it looks like one (`1700000000.12`, optionally `system-` prefixed), else
//! as the userfield.
//!
//! Strings are quoted, integers are not; an unset time (an unanswered call's answer) is an
//! empty string. Times are local (`usegmtime=yes`: UTC).
//!
//! Asterisk 12+ writes one record per party B for a queue call (one per agent rung, each
//! with the caller's uniqueid); records of the same uniqueid that follow each other are
//! merged into one call.

use chrono::{DateTime, FixedOffset, Utc};

use crate::csvline;
use crate::dedup;
use crate::error::{LineErrorReason, excerpt};
use crate::model::{CallOutcome, ImportedCall, RingAttempt, RingResult, SourceKind};
use crate::options::ImportOptions;
use crate::summary::Emit;
use crate::time::{parse_stamp, seconds};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disposition {
    Answered,
    NoAnswer,
    Busy,
    Failed,
    Congestion,
}

impl Disposition {
    fn parse(value: &str) -> Option<Disposition> {
        match value.trim() {
            "ANSWERED" => Some(Disposition::Answered),
            // Asterisk 12+ prints an unset (NULL) disposition as NO ANSWER too.
            "NO ANSWER" | "NULL" => Some(Disposition::NoAnswer),
            "BUSY" => Some(Disposition::Busy),
            "FAILED" => Some(Disposition::Failed),
            "CONGESTION" => Some(Disposition::Congestion),
            _ => None,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Disposition::Answered => "ANSWERED",
            Disposition::NoAnswer => "NO ANSWER",
            Disposition::Busy => "BUSY",
            Disposition::Failed => "FAILED",
            Disposition::Congestion => "CONGESTION",
        }
    }
}

struct CdrRow {
    line_number: u64,
    src: String,
    dst: String,
    clid: String,
    dstchannel: String,
    lastapp: String,
    lastdata: String,
    start: DateTime<Utc>,
    answer: Option<DateTime<Utc>>,
    end: DateTime<Utc>,
    billsec: u32,
    disposition: Disposition,
    uniqueid: Option<String>,
    linkedid: Option<String>,
    hash: String,
}

/// `1700000000.12` or `pbx1-1700000000.12`.
fn looks_like_uniqueid(value: &str) -> bool {
    let id = value.rsplit_once('-').map_or(value, |(_, id)| id);
    match id.split_once('.') {
        Some((secs, seq)) => {
            !secs.is_empty()
                && !seq.is_empty()
                && secs.bytes().all(|b| b.is_ascii_digit())
                && seq.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

fn non_empty(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn stamp_text(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn parse_row(
    options: &ImportOptions,
    line_number: u64,
    f: &[String],
) -> Result<CdrRow, LineErrorReason> {
    if !(16..=19).contains(&f.len()) {
        return Err(LineErrorReason::WrongColumnCount {
            found: f.len(),
            expected: "16 to 19".to_owned(),
        });
    }
    let offset = if options.cdr_times_in_utc {
        FixedOffset::east_opt(0).unwrap_or(options.local_offset)
    } else {
        options.local_offset
    };
    if f[9].trim().is_empty() {
        return Err(LineErrorReason::MissingField {
            field: "start".to_owned(),
        });
    }
    let start = parse_stamp("start", &f[9], offset)?;
    let answer = match f[10].trim() {
        "" => None,
        text => Some(parse_stamp("answer", text, offset)?),
    };
    if f[11].trim().is_empty() {
        return Err(LineErrorReason::MissingField {
            field: "end".to_owned(),
        });
    }
    let end = parse_stamp("end", &f[11], offset)?;
    let number = |field: &str, value: &str| {
        value
            .trim()
            .parse::<u32>()
            .map_err(|_| LineErrorReason::BadNumber {
                field: field.to_owned(),
                value: excerpt(value),
            })
    };
    number("duration", &f[12])?;
    let billsec = number("billsec", &f[13])?;
    let disposition =
        Disposition::parse(&f[14]).ok_or_else(|| LineErrorReason::UnknownDisposition {
            value: excerpt(&f[14]),
        })?;
    if let Some(answer) = answer {
        if answer < start {
            return Err(LineErrorReason::AnswerBeforeStart {
                start: stamp_text(start, offset),
                answer: stamp_text(answer, offset),
            });
        }
        if end < answer {
            return Err(LineErrorReason::EndBeforeAnswer {
                answer: stamp_text(answer, offset),
                end: stamp_text(end, offset),
            });
        }
    }
    if end < start {
        return Err(LineErrorReason::EndBeforeStart {
            start: stamp_text(start, offset),
            end: stamp_text(end, offset),
        });
    }
    if disposition == Disposition::Answered && answer.is_none() {
        return Err(LineErrorReason::MissingField {
            field: "answer (disposition ANSWERED)".to_owned(),
        });
    }
    let (uniqueid, linkedid) = match f.len() {
        17 if looks_like_uniqueid(f[16].trim()) => (non_empty(&f[16]), None),
        17 => (None, None),
        18 => (non_empty(&f[16]), None),
        19 => (non_empty(&f[16]), non_empty(&f[18])),
        _ => (None, None),
    };
    Ok(CdrRow {
        line_number,
        src: f[1].trim().to_owned(),
        dst: f[2].trim().to_owned(),
        clid: f[4].trim().to_owned(),
        dstchannel: f[6].trim().to_owned(),
        lastapp: f[7].trim().to_owned(),
        lastdata: f[8].trim().to_owned(),
        start,
        answer,
        end,
        billsec,
        disposition,
        uniqueid,
        linkedid,
        hash: dedup::line_hash(f.iter().map(String::as_str)),
    })
}

/// The number in a caller id like `"Alice" <8001>`, or the whole of it.
fn clid_number(clid: &str) -> Option<String> {
    let inside = clid
        .rsplit_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(number, _)| number);
    non_empty(inside.unwrap_or(clid))
}

#[derive(Default)]
pub(crate) struct CdrAssembler {
    /// Records of the current uniqueid, waiting for one with another id.
    group: Vec<CdrRow>,
    seen_record: bool,
    csv: csvline::CsvLineParser,
}

impl CdrAssembler {
    pub(crate) fn open_calls(&self) -> usize {
        usize::from(!self.group.is_empty())
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
        let first_record = !self.seen_record;
        self.seen_record = true;
        let row = self.csv.fields(line).and_then(|f| {
            if first_record && f.len() > 9 && f[9].trim().eq_ignore_ascii_case("start") {
                Ok(None)
            } else {
                parse_row(options, line_number, &f).map(Some)
            }
        });
        match row {
            Err(reason) => emit.line_error(line_number, reason),
            Ok(None) => emit.ignored(),
            Ok(Some(row)) => {
                emit.accepted();
                let same_call = match (&row.uniqueid, self.group.first()) {
                    (Some(id), Some(first)) => first.uniqueid.as_ref() == Some(id),
                    _ => false,
                };
                if !same_call {
                    self.flush(options, emit);
                }
                self.group.push(row);
                if self.group.last().is_some_and(|r| r.uniqueid.is_none()) {
                    self.flush(options, emit);
                }
            }
        }
    }

    pub(crate) fn finish(&mut self, options: &ImportOptions, emit: &mut Emit<'_>) {
        self.flush(options, emit);
    }

    fn flush(&mut self, options: &ImportOptions, emit: &mut Emit<'_>) {
        let rows = std::mem::take(&mut self.group);
        let Some(first) = rows.first() else {
            return;
        };
        let last_line = rows.last().map_or(first.line_number, |r| r.line_number);
        let arrived_at = rows.iter().map(|r| r.start).min().unwrap_or(first.start);
        let ended_at = rows.iter().map(|r| r.end).max().unwrap_or(first.end);
        let answering = rows
            .iter()
            .find(|r| r.disposition == Disposition::Answered && !r.dstchannel.is_empty());
        let queue_name = rows
            .iter()
            .find(|r| r.lastapp.eq_ignore_ascii_case("Queue"))
            .and_then(|r| non_empty(r.lastdata.split([',', '|']).next().unwrap_or("")))
            .or_else(|| non_empty(&first.dst));

        let (outcome, answered_at, wait_seconds, talk_seconds, disposition) = match answering {
            Some(row) => {
                let answered_at = row.answer.unwrap_or(row.start);
                (
                    CallOutcome::Answered,
                    Some(answered_at),
                    seconds((answered_at - arrived_at).num_seconds()),
                    row.billsec,
                    row.disposition,
                )
            }
            None => {
                let wait = seconds((ended_at - arrived_at).num_seconds());
                let has = |d: Disposition| rows.iter().any(|r| r.disposition == d);
                let (outcome, disposition) =
                    if has(Disposition::Answered) || has(Disposition::NoAnswer) {
                        // The caller was in the queue (or rang) and nobody took the call:
                        // the CDR cannot tell a hang-up from a ring timeout, and for an
                        // inbound hotline call it is nearly always the caller giving up.
                        let outcome = if wait < options.short_abandon_seconds {
                            CallOutcome::ShortAbandoned
                        } else {
                            CallOutcome::Abandoned
                        };
                        let d = if has(Disposition::NoAnswer) {
                            Disposition::NoAnswer
                        } else {
                            Disposition::Answered
                        };
                        (outcome, d)
                    } else if has(Disposition::Busy) {
                        (CallOutcome::Busy, Disposition::Busy)
                    } else if has(Disposition::Congestion) {
                        (CallOutcome::Failed, Disposition::Congestion)
                    } else {
                        (CallOutcome::Failed, Disposition::Failed)
                    };
                (outcome, None, wait, 0, disposition)
            }
        };

        let ring_attempts = rows
            .iter()
            .filter(|r| !r.dstchannel.is_empty())
            .map(|r| RingAttempt {
                agent_interface: r.dstchannel.clone(),
                agent_code: options.ring_agent_code(&r.dstchannel, emit.summary),
                at: r.start,
                ring_ms: None,
                result: match r.disposition {
                    Disposition::Answered => RingResult::Answered,
                    Disposition::NoAnswer => RingResult::NoAnswer,
                    Disposition::Busy => RingResult::Busy,
                    Disposition::Failed | Disposition::Congestion => RingResult::Failed,
                },
            })
            .collect();

        let queue_code = match &queue_name {
            Some(name) => match options.resolve_queue(name, emit.summary) {
                Ok(code) => Some(code),
                Err(reason) => return emit.call_error(last_line, reason),
            },
            None => None,
        };
        let agent_interface = answering.map(|r| r.dstchannel.clone());
        let agent_code = match &agent_interface {
            Some(agent) => match options.resolve_agent(agent, emit.summary) {
                Ok(code) => Some(code),
                Err(reason) => return emit.call_error(last_line, reason),
            },
            None => None,
        };
        let instance = options.source_instance.as_deref();
        let dedup_key = match &first.uniqueid {
            Some(id) => dedup::key(SourceKind::AsteriskCdr, instance, &[id]),
            None => dedup::key(
                SourceKind::AsteriskCdr,
                instance,
                &["line", first.hash.as_str()],
            ),
        };
        emit.call(ImportedCall {
            source: SourceKind::AsteriskCdr,
            dedup_key,
            source_call_id: first.uniqueid.clone().unwrap_or_default(),
            linked_id: first.linkedid.clone(),
            first_line_number: first.line_number,
            last_line_number: last_line,
            caller_number: non_empty(&first.src).or_else(|| clid_number(&first.clid)),
            called_number: non_empty(&first.dst),
            queue_name,
            queue_code,
            agent_interface,
            agent_code,
            arrived_at,
            answered_at,
            ended_at,
            wait_seconds,
            talk_seconds,
            ring_attempts,
            outcome,
            hangup_side: None,
            transfer_target: None,
            exit_key: None,
            disposition: Some(disposition.text().to_owned()),
            original_position: None,
            entry_logged: true,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniqueid_shapes() {
        assert!(looks_like_uniqueid("1700000000.12"));
        assert!(looks_like_uniqueid("baisha-pbx-1700000000.12"));
        assert!(!looks_like_uniqueid("vip caller"));
        assert!(!looks_like_uniqueid("12.5kg"));
        assert!(!looks_like_uniqueid(""));
    }

    #[test]
    fn caller_id_number() {
        assert_eq!(clid_number("\"Alice\" <8001>"), Some("8001".to_owned()));
        assert_eq!(clid_number("13800138000"), Some("13800138000".to_owned()));
        assert_eq!(clid_number(""), None);
    }
}
