//! Import settings and the mapping from the rented platform's names to the sub-platform's
//! queue and staff codes, read from one TOML file:
//!
//! ```toml
//! unmapped = "error"            # or "keep_raw": import under the log's own name
//! short_abandon_seconds = 5     # abandons under this wait are short abandons
//! utc_offset = "+08:00"         # the PBX's local time (CDR and FreeSWITCH stamps)
//! cdr_times_in_utc = false      # Asterisk cdr.conf usegmtime=yes
//! source_instance = "pbx1"      # optional: tells several PBXs apart in dedup keys
//! stale_call_hours = 12         # a queue_log call silent this long is reported incomplete
//!
//! [queues]                      # queue_log queue, CDR Queue() argument or dst, FreeSWITCH
//! "12345-baisha" = "BS-MAIN"    # destination_number -> sub-platform queue code
//!
//! [agents]                      # member interface, member name or channel -> staff code
//! "PJSIP/8001" = "BS001"
//! "Local/8002@agents" = "BS002"
//! "user/1003" = "BS003"         # FreeSWITCH
//!
//! [pause_reasons]               # PAUSE reason as typed on the platform -> break code
//! "午餐" = "meal"
//! ```

use std::collections::{BTreeMap, HashMap};

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

use crate::error::{ConfigError, LineErrorReason};
use crate::summary::ImportSummary;

/// What to do with a queue or agent name the mapping does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmappedPolicy {
    /// Reject the call or agent event with an `unmapped_queue`/`unmapped_agent` error.
    #[default]
    Error,
    /// Import it with the log's own name as the code (still listed in the summary).
    KeepRaw,
}

/// Everything an import needs besides the log itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    pub mapping: Mapping,
    pub unmapped: UnmappedPolicy,
    /// Abandons with a wait strictly under this are short abandons (default 5).
    pub short_abandon_seconds: u32,
    /// Offset of the PBX's local time: CDR and FreeSWITCH stamps, and queue_log lines
    /// exported from a realtime table with date-times instead of epochs. Default +08:00.
    pub local_offset: FixedOffset,
    /// Asterisk cdr.conf `usegmtime=yes`: Master.csv times are UTC.
    pub cdr_times_in_utc: bool,
    /// Names the PBX in dedup keys when one store imports from several.
    pub source_instance: Option<String>,
    /// A queue_log call with no line for this long (log time) is reported incomplete and
    /// forgotten, so memory stays bounded by the calls really in progress.
    pub stale_call_seconds: u32,
}

/// Asia/Shanghai, which has no daylight saving.
pub fn china_offset() -> FixedOffset {
    // Evaluated at compile time: a wrong constant fails the build, never a run.
    const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => offset,
        None => panic!("+08:00 is a valid offset"),
    };
    CHINA
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            mapping: Mapping::default(),
            unmapped: UnmappedPolicy::Error,
            short_abandon_seconds: 5,
            local_offset: china_offset(),
            cdr_times_in_utc: false,
            source_instance: None,
            stale_call_seconds: 12 * 3600,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    unmapped: Option<UnmappedPolicy>,
    short_abandon_seconds: Option<u32>,
    utc_offset: Option<String>,
    cdr_times_in_utc: Option<bool>,
    source_instance: Option<String>,
    stale_call_hours: Option<u32>,
    #[serde(default)]
    queues: BTreeMap<String, String>,
    #[serde(default)]
    agents: BTreeMap<String, String>,
    #[serde(default)]
    pause_reasons: BTreeMap<String, String>,
}

impl ImportOptions {
    /// Read the mapping file (see the module docs); absent settings keep their defaults.
    pub fn from_toml(text: &str) -> Result<ImportOptions, ConfigError> {
        let raw: RawOptions = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        let defaults = ImportOptions::default();
        let mut mapping = Mapping::default();
        for (name, code) in &raw.queues {
            mapping.insert_queue(name, code)?;
        }
        for (name, code) in &raw.agents {
            mapping.insert_agent(name, code)?;
        }
        for (reason, code) in &raw.pause_reasons {
            mapping.insert_pause_reason(reason, code)?;
        }
        let local_offset = match raw.utc_offset {
            Some(text) => parse_utc_offset(&text).ok_or(ConfigError::BadUtcOffset(text))?,
            None => defaults.local_offset,
        };
        Ok(ImportOptions {
            mapping,
            unmapped: raw.unmapped.unwrap_or(defaults.unmapped),
            short_abandon_seconds: raw
                .short_abandon_seconds
                .unwrap_or(defaults.short_abandon_seconds),
            local_offset,
            cdr_times_in_utc: raw.cdr_times_in_utc.unwrap_or(defaults.cdr_times_in_utc),
            source_instance: raw.source_instance.filter(|s| !s.trim().is_empty()),
            stale_call_seconds: raw
                .stale_call_hours
                .map(|h| h.saturating_mul(3600))
                .unwrap_or(defaults.stale_call_seconds),
        })
    }

    /// A queue's code under the unmapped policy. Records unmapped names in the summary.
    pub(crate) fn resolve_queue(
        &self,
        name: &str,
        summary: &mut ImportSummary,
    ) -> Result<String, LineErrorReason> {
        if let Some(code) = self.mapping.queue_code(name) {
            return Ok(code.to_owned());
        }
        summary.note_unmapped_queue(name);
        match self.unmapped {
            UnmappedPolicy::KeepRaw => Ok(name.to_owned()),
            UnmappedPolicy::Error => Err(LineErrorReason::UnmappedQueue {
                name: crate::error::excerpt(name),
            }),
        }
    }

    /// An agent's staff code under the unmapped policy.
    pub(crate) fn resolve_agent(
        &self,
        interface: &str,
        summary: &mut ImportSummary,
    ) -> Result<String, LineErrorReason> {
        if let Some(code) = self.mapping.agent_code(interface) {
            return Ok(code.to_owned());
        }
        summary.note_unmapped_agent(interface);
        match self.unmapped {
            UnmappedPolicy::KeepRaw => Ok(interface.to_owned()),
            UnmappedPolicy::Error => Err(LineErrorReason::UnmappedAgent {
                name: crate::error::excerpt(interface),
            }),
        }
    }

    /// An agent who only rang: never rejects the call, the code is just absent.
    pub(crate) fn ring_agent_code(
        &self,
        interface: &str,
        summary: &mut ImportSummary,
    ) -> Option<String> {
        self.resolve_agent(interface, summary).ok()
    }
}

/// `+08:00`, `-0530`, `+8`: sign, hours, optional minutes.
fn parse_utc_offset(text: &str) -> Option<FixedOffset> {
    let text = text.trim();
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Names on the rented platform → codes on the sub-platform.
///
/// Queue names match without regard to case (app_queue looks them up that way). Agent
/// names match after normalizing: the technology is case-insensitive (`sip/8001` =
/// `SIP/8001`), a channel's instance suffix is dropped (`SIP/8001-0000001a` = `SIP/8001`,
/// `Local/8001@agents-00000003;1` = `Local/8001@agents`) and so is a Local channel's `/n`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    queues: HashMap<String, (String, String)>,
    agents: HashMap<String, (String, String)>,
    pause_reasons: HashMap<String, String>,
}

impl Mapping {
    pub fn new() -> Self {
        Mapping::default()
    }

    /// Builder form of [`Mapping::insert_queue`], for code and tests.
    pub fn with_queue(mut self, name: &str, code: &str) -> Result<Self, ConfigError> {
        self.insert_queue(name, code)?;
        Ok(self)
    }

    pub fn with_agent(mut self, interface: &str, code: &str) -> Result<Self, ConfigError> {
        self.insert_agent(interface, code)?;
        Ok(self)
    }

    pub fn with_pause_reason(mut self, reason: &str, code: &str) -> Result<Self, ConfigError> {
        self.insert_pause_reason(reason, code)?;
        Ok(self)
    }

    pub fn insert_queue(&mut self, name: &str, code: &str) -> Result<(), ConfigError> {
        insert(
            &mut self.queues,
            "queues",
            name,
            normalize_queue(name),
            code,
        )
    }

    pub fn insert_agent(&mut self, interface: &str, code: &str) -> Result<(), ConfigError> {
        insert(
            &mut self.agents,
            "agents",
            interface,
            normalize_agent(interface),
            code,
        )
    }

    pub fn insert_pause_reason(&mut self, reason: &str, code: &str) -> Result<(), ConfigError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(ConfigError::EmptyCode {
                table: "pause_reasons",
                key: reason.to_owned(),
            });
        }
        self.pause_reasons
            .insert(reason.trim().to_owned(), code.to_owned());
        Ok(())
    }

    pub fn queue_code(&self, name: &str) -> Option<&str> {
        self.queues
            .get(&normalize_queue(name))
            .map(|(_, code)| code.as_str())
    }

    pub fn agent_code(&self, interface: &str) -> Option<&str> {
        self.agents
            .get(&normalize_agent(interface))
            .map(|(_, code)| code.as_str())
    }

    pub fn pause_reason_code(&self, reason: &str) -> Option<&str> {
        self.pause_reasons.get(reason.trim()).map(String::as_str)
    }
}

fn insert(
    table: &mut HashMap<String, (String, String)>,
    table_name: &'static str,
    name: &str,
    key: String,
    code: &str,
) -> Result<(), ConfigError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(ConfigError::EmptyCode {
            table: table_name,
            key: name.to_owned(),
        });
    }
    if let Some((first, existing)) = table.get(&key)
        && existing != code
    {
        return Err(ConfigError::ConflictingKeys {
            table: table_name,
            first: first.clone(),
            second: name.to_owned(),
        });
    }
    table.insert(key, (name.to_owned(), code.to_owned()));
    Ok(())
}

fn normalize_queue(name: &str) -> String {
    name.trim().to_lowercase()
}

/// See [`Mapping`] for the rules.
pub(crate) fn normalize_agent(interface: &str) -> String {
    let mut name = interface.trim();
    if let Some(stripped) = strip_channel_suffix(name) {
        name = stripped;
    }
    for option in ["/nj", "/n"] {
        if name.len() > option.len() && name.ends_with(option) {
            name = &name[..name.len() - option.len()];
            break;
        }
    }
    match name.split_once('/') {
        Some((tech, resource)) => format!("{}/{}", tech.to_ascii_lowercase(), resource),
        None => name.to_owned(),
    }
}

/// Asterisk names a channel `<interface>-<8 hex digits>`, Local channels add `;1`/`;2`.
fn strip_channel_suffix(name: &str) -> Option<&str> {
    let name = name
        .strip_suffix(";1")
        .or_else(|| name.strip_suffix(";2"))
        .unwrap_or(name);
    let (base, suffix) = name.rsplit_once('-')?;
    let is_instance = suffix.len() == 8 && suffix.bytes().all(|b| b.is_ascii_hexdigit());
    (is_instance && base.contains('/')).then_some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_names_normalize_to_the_member_interface() {
        let cases = [
            ("SIP/8001", "sip/8001"),
            ("sip/8001", "sip/8001"),
            ("SIP/8001-0000001a", "sip/8001"),
            ("PJSIP/8001-00000012", "pjsip/8001"),
            ("Local/8001@agents/n", "local/8001@agents"),
            ("Local/8001@agents-00000003;1", "local/8001@agents"),
            ("Local/8001@agents-00000003;2", "local/8001@agents"),
            ("Agent/8001", "agent/8001"),
            ("user/1001", "user/1001"),
            (" Alice ", "Alice"),
            // Not an instance suffix: kept.
            ("SIP/trunk-province", "sip/trunk-province"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_agent(input), expected, "{input}");
        }
    }

    #[test]
    fn utc_offsets() {
        assert_eq!(parse_utc_offset("+08:00"), FixedOffset::east_opt(8 * 3600));
        assert_eq!(parse_utc_offset("+0800"), FixedOffset::east_opt(8 * 3600));
        assert_eq!(parse_utc_offset("-05:30"), FixedOffset::east_opt(-19800));
        assert_eq!(parse_utc_offset("+8"), FixedOffset::east_opt(8 * 3600));
        assert_eq!(parse_utc_offset("08:00"), None);
        assert_eq!(parse_utc_offset("+25:00"), None);
        assert_eq!(parse_utc_offset("+08:75"), None);
        assert_eq!(parse_utc_offset(""), None);
    }
}
