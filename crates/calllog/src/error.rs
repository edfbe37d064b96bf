//! What can be wrong with a log line, said so an engineer can find and fix it.

use serde::{Deserialize, Serialize};

/// A line (or, for an unmapped queue or agent, an assembled call) that was not imported.
/// The import goes on with the next line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("line {line_number}: {reason}")]
pub struct LineError {
    /// 1-based line number in the input; for a rejected call, the line that ended it.
    pub line_number: u64,
    pub reason: LineErrorReason,
}

/// Why a line was not imported. Values quoted from the line are cut to 60 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum LineErrorReason {
    #[error("wrong column count {found} (expected {expected})")]
    WrongColumnCount { found: usize, expected: String },
    #[error("bad epoch \"{value}\"")]
    BadEpoch { value: String },
    #[error("bad {field} time \"{value}\"")]
    BadTimestamp { field: String, value: String },
    #[error("bad {field} \"{value}\" (expected a whole number)")]
    BadNumber { field: String, value: String },
    #[error("unknown event \"{event}\"")]
    UnknownEvent { event: String },
    #[error("{event} needs {needed} data fields, found {found}")]
    MissingData {
        event: String,
        needed: usize,
        found: usize,
    },
    #[error("empty {field}")]
    MissingField { field: String },
    #[error("unknown disposition \"{value}\"")]
    UnknownDisposition { value: String },
    #[error("answer before start ({answer} < {start})")]
    AnswerBeforeStart { start: String, answer: String },
    #[error("end before start ({end} < {start})")]
    EndBeforeStart { start: String, end: String },
    #[error("end before answer ({end} < {answer})")]
    EndBeforeAnswer { answer: String, end: String },
    #[error("{event} out of order: {detail}")]
    OutOfOrder { event: String, detail: String },
    #[error("queue \"{name}\" is not in the mapping")]
    UnmappedQueue { name: String },
    #[error("agent \"{name}\" is not in the mapping")]
    UnmappedAgent { name: String },
    #[error("line longer than {limit} bytes")]
    LineTooLong { limit: usize },
    #[error("unterminated quoted field")]
    UnterminatedQuote,
}

impl LineErrorReason {
    /// The reason's kind, for counting.
    pub fn skip_reason(&self) -> SkipReason {
        match self {
            LineErrorReason::WrongColumnCount { .. } => SkipReason::WrongColumnCount,
            LineErrorReason::BadEpoch { .. } => SkipReason::BadEpoch,
            LineErrorReason::BadTimestamp { .. } => SkipReason::BadTimestamp,
            LineErrorReason::BadNumber { .. } => SkipReason::BadNumber,
            LineErrorReason::UnknownEvent { .. } => SkipReason::UnknownEvent,
            LineErrorReason::MissingData { .. } => SkipReason::MissingData,
            LineErrorReason::MissingField { .. } => SkipReason::MissingField,
            LineErrorReason::UnknownDisposition { .. } => SkipReason::UnknownDisposition,
            LineErrorReason::AnswerBeforeStart { .. } => SkipReason::AnswerBeforeStart,
            LineErrorReason::EndBeforeStart { .. } => SkipReason::EndBeforeStart,
            LineErrorReason::EndBeforeAnswer { .. } => SkipReason::EndBeforeAnswer,
            LineErrorReason::OutOfOrder { .. } => SkipReason::OutOfOrder,
            LineErrorReason::UnmappedQueue { .. } => SkipReason::UnmappedQueue,
            LineErrorReason::UnmappedAgent { .. } => SkipReason::UnmappedAgent,
            LineErrorReason::LineTooLong { .. } => SkipReason::LineTooLong,
            LineErrorReason::UnterminatedQuote => SkipReason::UnterminatedQuote,
        }
    }
}

/// The kind of a [`LineErrorReason`] without its details: the key of the summary's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    WrongColumnCount,
    BadEpoch,
    BadTimestamp,
    BadNumber,
    UnknownEvent,
    MissingData,
    MissingField,
    UnknownDisposition,
    AnswerBeforeStart,
    EndBeforeStart,
    EndBeforeAnswer,
    OutOfOrder,
    UnmappedQueue,
    UnmappedAgent,
    LineTooLong,
    UnterminatedQuote,
}

impl SkipReason {
    pub const ALL: [SkipReason; 16] = [
        SkipReason::WrongColumnCount,
        SkipReason::BadEpoch,
        SkipReason::BadTimestamp,
        SkipReason::BadNumber,
        SkipReason::UnknownEvent,
        SkipReason::MissingData,
        SkipReason::MissingField,
        SkipReason::UnknownDisposition,
        SkipReason::AnswerBeforeStart,
        SkipReason::EndBeforeStart,
        SkipReason::EndBeforeAnswer,
        SkipReason::OutOfOrder,
        SkipReason::UnmappedQueue,
        SkipReason::UnmappedAgent,
        SkipReason::LineTooLong,
        SkipReason::UnterminatedQuote,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SkipReason::WrongColumnCount => "wrong_column_count",
            SkipReason::BadEpoch => "bad_epoch",
            SkipReason::BadTimestamp => "bad_timestamp",
            SkipReason::BadNumber => "bad_number",
            SkipReason::UnknownEvent => "unknown_event",
            SkipReason::MissingData => "missing_data",
            SkipReason::MissingField => "missing_field",
            SkipReason::UnknownDisposition => "unknown_disposition",
            SkipReason::AnswerBeforeStart => "answer_before_start",
            SkipReason::EndBeforeStart => "end_before_start",
            SkipReason::EndBeforeAnswer => "end_before_answer",
            SkipReason::OutOfOrder => "out_of_order",
            SkipReason::UnmappedQueue => "unmapped_queue",
            SkipReason::UnmappedAgent => "unmapped_agent",
            SkipReason::LineTooLong => "line_too_long",
            SkipReason::UnterminatedQuote => "unterminated_quote",
        }
    }

    pub fn from_code(code: &str) -> Option<SkipReason> {
        SkipReason::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            SkipReason::WrongColumnCount => "列数不符",
            SkipReason::BadEpoch => "时间戳无效",
            SkipReason::BadTimestamp => "时间格式无效",
            SkipReason::BadNumber => "数值无效",
            SkipReason::UnknownEvent => "未知事件",
            SkipReason::MissingData => "事件数据不全",
            SkipReason::MissingField => "必填字段为空",
            SkipReason::UnknownDisposition => "未知呼叫结果",
            SkipReason::AnswerBeforeStart => "应答早于开始",
            SkipReason::EndBeforeStart => "结束早于开始",
            SkipReason::EndBeforeAnswer => "结束早于应答",
            SkipReason::OutOfOrder => "事件顺序错误",
            SkipReason::UnmappedQueue => "队列未配置映射",
            SkipReason::UnmappedAgent => "坐席未配置映射",
            SkipReason::LineTooLong => "行过长",
            SkipReason::UnterminatedQuote => "引号未闭合",
        }
    }
}

/// A mapping/options file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("mapping file: {0}")]
    Toml(String),
    #[error("utc_offset \"{0}\" is not like +08:00")]
    BadUtcOffset(String),
    #[error("[{table}] \"{key}\": empty code")]
    EmptyCode { table: &'static str, key: String },
    #[error("[{table}] \"{first}\" and \"{second}\" are the same name but map to different codes")]
    ConflictingKeys {
        table: &'static str,
        first: String,
        second: String,
    },
}

/// Cut a value quoted in an error message so a garbage line cannot blow up the report.
pub(crate) fn excerpt(value: &str) -> String {
    const MAX_CHARS: usize = 60;
    let value = value.trim();
    match value.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}
