//! Import of real call-centre logs for a 12345 sub-platform whose seats are rented on
//! another platform: Asterisk `queue_log`, Asterisk `Master.csv` and FreeSWITCH
//! mod_cdr_csv, turned into [`ImportedCall`]s and [`ImportedAgentEvent`]s that carry the
//! sub-platform's queue and staff codes.
//!
//! Pure: the caller opens the file and hands over lines ([`Importer::push_line`]) or a
//! reader ([`import_reader`]); nothing here touches files or the clock. A line that cannot
//! be read becomes a [`LineError`] and the import goes on. Every record carries a stable
//! dedup key, so importing the same file twice can change nothing in the store.
//!
//! ```
//! use rexian_calllog::{import_str, ImportOptions, SourceKind, UnmappedPolicy, CallOutcome};
//!
//! let log = "1759284000|1759283999.7|support|NONE|ENTERQUEUE||13800138000|1\n\
//!            1759284012|1759283999.7|support|PJSIP/8001|CONNECT|12|1759284000.9|3\n\
//!            1759284102|1759283999.7|support|PJSIP/8001|COMPLETECALLER|12|90|1\n";
//! let options = ImportOptions { unmapped: UnmappedPolicy::KeepRaw, ..Default::default() };
//! let report = import_str(SourceKind::AsteriskQueueLog, log, options);
//! let call = &report.calls()[0];
//! assert_eq!((call.outcome, call.wait_seconds, call.talk_seconds), (CallOutcome::Answered, 12, 90));
//! assert!(!report.summary.has_problems());
//! ```

mod cdr;
mod csvline;
mod dedup;
mod error;
mod freeswitch;
mod model;
mod options;
mod queue_log;
mod summary;
mod time;

use std::io::{self, BufRead, Read};

pub use error::{ConfigError, LineError, LineErrorReason, SkipReason};
pub use model::{
    AgentEventKind, CallOutcome, HangupSide, ImportItem, ImportedAgentEvent, ImportedCall,
    IncompleteCall, IncompleteReason, RingAttempt, RingResult, SourceKind,
};
pub use options::{ImportOptions, Mapping, UnmappedPolicy, china_offset};
pub use summary::ImportSummary;

use summary::Emit;

/// Longest line read; a longer one is reported as `line_too_long` and skipped (a corrupt
/// file must not make the importer hold gigabytes).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

enum Parser {
    QueueLog(queue_log::QueueLogAssembler),
    AsteriskCdr(cdr::CdrAssembler),
    Freeswitch(freeswitch::FreeswitchAssembler),
}

/// A streaming import: push the lines in order, drain what comes out, then finish.
/// Holds only the calls still in progress, never the file.
pub struct Importer {
    options: ImportOptions,
    summary: ImportSummary,
    parser: Parser,
}

impl Importer {
    pub fn new(source: SourceKind, options: ImportOptions) -> Importer {
        let parser = match source {
            SourceKind::AsteriskQueueLog => Parser::QueueLog(Default::default()),
            SourceKind::AsteriskCdr => Parser::AsteriskCdr(Default::default()),
            SourceKind::FreeswitchCdr => Parser::Freeswitch(Default::default()),
        };
        Importer {
            options,
            summary: ImportSummary::new(source),
            parser,
        }
    }

    pub fn source(&self) -> SourceKind {
        self.summary.source
    }

    /// One line of the log (its line ending may be left on). `line_number` is what errors
    /// report: 1-based, and counting on across rotated files fed as one stream is fine.
    /// Whatever the line completes is appended to `out`.
    pub fn push_line(&mut self, line_number: u64, line: &str, out: &mut Vec<ImportItem>) {
        let line = line.trim_end_matches(['\n', '\r']);
        if line.len() > MAX_LINE_BYTES {
            return self.push_too_long(line_number, out);
        }
        self.summary.lines_read += 1;
        let mut emit = Emit {
            summary: &mut self.summary,
            out,
        };
        match &mut self.parser {
            Parser::QueueLog(p) => p.push_line(&self.options, line_number, line, &mut emit),
            Parser::AsteriskCdr(p) => p.push_line(&self.options, line_number, line, &mut emit),
            Parser::Freeswitch(p) => p.push_line(&self.options, line_number, line, &mut emit),
        }
    }

    fn push_too_long(&mut self, line_number: u64, out: &mut Vec<ImportItem>) {
        self.summary.lines_read += 1;
        let mut emit = Emit {
            summary: &mut self.summary,
            out,
        };
        emit.line_error(
            line_number,
            LineErrorReason::LineTooLong {
                limit: MAX_LINE_BYTES,
            },
        );
    }

    /// Calls begun but not yet ended (queue_log), or records waiting for the next line to
    /// know whether they belong together (Master.csv).
    pub fn open_calls(&self) -> usize {
        match &self.parser {
            Parser::QueueLog(p) => p.open_calls(),
            Parser::AsteriskCdr(p) => p.open_calls(),
            Parser::Freeswitch(_) => 0,
        }
    }

    /// The counts so far.
    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }

    /// End of input: emits what was still held (incomplete queue_log calls, the last CDR
    /// call) and returns the counts.
    pub fn finish(mut self, out: &mut Vec<ImportItem>) -> ImportSummary {
        let mut emit = Emit {
            summary: &mut self.summary,
            out,
        };
        match &mut self.parser {
            Parser::QueueLog(p) => p.finish(&mut emit),
            Parser::AsteriskCdr(p) => p.finish(&self.options, &mut emit),
            Parser::Freeswitch(_) => {}
        }
        self.summary
    }
}

/// Import from a reader the caller opened. Items go to `sink` as soon as they are known.
/// Bytes that are not UTF-8 (a GBK caller name) are replaced, not fatal. Only a read
/// failure of the reader itself is an error.
pub fn import_reader<R: BufRead>(
    source: SourceKind,
    mut reader: R,
    options: ImportOptions,
    mut sink: impl FnMut(ImportItem),
) -> io::Result<ImportSummary> {
    let mut importer = Importer::new(source, options);
    let mut buffer = Vec::with_capacity(256);
    let mut out = Vec::with_capacity(16);
    let mut line_number = 0u64;
    loop {
        buffer.clear();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buffer)?;
        if read == 0 {
            break;
        }
        line_number += 1;
        if buffer.len() > MAX_LINE_BYTES && buffer.last() != Some(&b'\n') {
            skip_rest_of_line(&mut reader)?;
            importer.push_too_long(line_number, &mut out);
        } else {
            importer.push_line(line_number, &String::from_utf8_lossy(&buffer), &mut out);
        }
        out.drain(..).for_each(&mut sink);
    }
    let summary = importer.finish(&mut out);
    out.into_iter().for_each(sink);
    Ok(summary)
}

fn skip_rest_of_line<R: BufRead>(reader: &mut R) -> io::Result<()> {
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(());
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(newline) => {
                reader.consume(newline + 1);
                return Ok(());
            }
            None => {
                let all = available.len();
                reader.consume(all);
            }
        }
    }
}

/// Everything an import of a whole text produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub items: Vec<ImportItem>,
    pub summary: ImportSummary,
}

impl ImportReport {
    pub fn calls(&self) -> Vec<&ImportedCall> {
        self.items
            .iter()
            .filter_map(|item| match item {
                ImportItem::Call(call) => Some(call),
                _ => None,
            })
            .collect()
    }

    pub fn agent_events(&self) -> Vec<&ImportedAgentEvent> {
        self.items
            .iter()
            .filter_map(|item| match item {
                ImportItem::AgentEvent(event) => Some(event),
                _ => None,
            })
            .collect()
    }

    pub fn incomplete(&self) -> Vec<&IncompleteCall> {
        self.items
            .iter()
            .filter_map(|item| match item {
                ImportItem::Incomplete(call) => Some(call),
                _ => None,
            })
            .collect()
    }

    pub fn errors(&self) -> Vec<&LineError> {
        self.items
            .iter()
            .filter_map(|item| match item {
                ImportItem::LineError(error) => Some(error),
                _ => None,
            })
            .collect()
    }
}

/// Import a whole text held in memory (tests, small uploads).
pub fn import_str(source: SourceKind, text: &str, options: ImportOptions) -> ImportReport {
    let mut importer = Importer::new(source, options);
    let mut items = Vec::new();
    for (index, line) in text.lines().enumerate() {
        importer.push_line(index as u64 + 1, line, &mut items);
    }
    let summary = importer.finish(&mut items);
    ImportReport { items, summary }
}
