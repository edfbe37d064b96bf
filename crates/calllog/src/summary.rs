//! Counts of one import, for the report printed at the end and for the exit status.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{LineError, LineErrorReason, SkipReason};
use crate::model::{ImportItem, ImportedAgentEvent, ImportedCall, IncompleteCall, SourceKind};

/// At most this many distinct unmapped names are listed (all are still counted as problems).
const MAX_LISTED_UNMAPPED: usize = 1000;

/// What an import read and produced.
///
/// Invariant: `lines_read == blank_lines + lines_accepted + lines_ignored + lines_skipped`,
/// and the counts in `skipped_by_reason` add up to `lines_skipped + calls_skipped`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub source: SourceKind,
    pub lines_read: u64,
    pub blank_lines: u64,
    /// Lines that went into a record (or into a call still being assembled).
    pub lines_accepted: u64,
    /// Well-formed lines with nothing to import: INFO, CONFIGRELOAD, QUEUESTART, a header
    /// line, a late line for a call that already ended.
    pub lines_ignored: u64,
    /// Lines that could not be read, each reported as a [`LineError`].
    pub lines_skipped: u64,
    pub calls: u64,
    pub agent_events: u64,
    /// Calls that never finished (reported as [`IncompleteCall`], not imported).
    pub incomplete_calls: u64,
    /// Assembled calls rejected because their queue or agent is not in the mapping.
    pub calls_skipped: u64,
    pub skipped_by_reason: BTreeMap<SkipReason, u64>,
    /// Names missing from the mapping (also under `keep_raw`, so the mapping can be completed).
    pub unmapped_queues: BTreeSet<String>,
    pub unmapped_agents: BTreeSet<String>,
}

impl ImportSummary {
    pub fn new(source: SourceKind) -> Self {
        ImportSummary {
            source,
            lines_read: 0,
            blank_lines: 0,
            lines_accepted: 0,
            lines_ignored: 0,
            lines_skipped: 0,
            calls: 0,
            agent_events: 0,
            incomplete_calls: 0,
            calls_skipped: 0,
            skipped_by_reason: BTreeMap::new(),
            unmapped_queues: BTreeSet::new(),
            unmapped_agents: BTreeSet::new(),
        }
    }

    /// True when some lines or calls were skipped; the CLI's exit status follows this.
    /// Incomplete calls are not counted here: the tail of a live or rotated log always has
    /// some, and they are reported on their own.
    pub fn has_problems(&self) -> bool {
        self.lines_skipped > 0 || self.calls_skipped > 0
    }

    pub(crate) fn note_unmapped_queue(&mut self, name: &str) {
        if self.unmapped_queues.len() < MAX_LISTED_UNMAPPED {
            self.unmapped_queues.insert(name.to_owned());
        }
    }

    pub(crate) fn note_unmapped_agent(&mut self, name: &str) {
        if self.unmapped_agents.len() < MAX_LISTED_UNMAPPED {
            self.unmapped_agents.insert(name.to_owned());
        }
    }
}

/// Where parsers put what they produce; keeps the summary's counts in step with the items.
pub(crate) struct Emit<'a> {
    pub summary: &'a mut ImportSummary,
    pub out: &'a mut Vec<ImportItem>,
}

impl Emit<'_> {
    pub fn blank(&mut self) {
        self.summary.blank_lines += 1;
    }

    pub fn accepted(&mut self) {
        self.summary.lines_accepted += 1;
    }

    pub fn ignored(&mut self) {
        self.summary.lines_ignored += 1;
    }

    /// The line itself could not be read.
    pub fn line_error(&mut self, line_number: u64, reason: LineErrorReason) {
        self.summary.lines_skipped += 1;
        self.count_reason(&reason);
        self.out.push(ImportItem::LineError(LineError {
            line_number,
            reason,
        }));
    }

    /// A well-formed call (its lines already counted) that cannot be imported.
    pub fn call_error(&mut self, line_number: u64, reason: LineErrorReason) {
        self.summary.calls_skipped += 1;
        self.count_reason(&reason);
        self.out.push(ImportItem::LineError(LineError {
            line_number,
            reason,
        }));
    }

    pub fn call(&mut self, call: ImportedCall) {
        self.summary.calls += 1;
        self.out.push(ImportItem::Call(call));
    }

    pub fn agent_event(&mut self, event: ImportedAgentEvent) {
        self.summary.agent_events += 1;
        self.out.push(ImportItem::AgentEvent(event));
    }

    pub fn incomplete(&mut self, call: IncompleteCall) {
        self.summary.incomplete_calls += 1;
        self.out.push(ImportItem::Incomplete(call));
    }

    fn count_reason(&mut self, reason: &LineErrorReason) {
        *self
            .summary
            .skipped_by_reason
            .entry(reason.skip_reason())
            .or_insert(0) += 1;
    }
}
