//! The mapping file: names on the rented platform → sub-platform codes, and the settings.

use chrono::FixedOffset;
use rexian_calllog::{ConfigError, ImportOptions, UnmappedPolicy};

const FILE: &str = r#"
unmapped = "keep_raw"
short_abandon_seconds = 8
utc_offset = "+08:00"
cdr_times_in_utc = true
source_instance = "rented-pbx"
stale_call_hours = 4

[queues]
"12345-baisha" = "BS-MAIN"
"12345-li" = "BS-LI"

[agents]
"PJSIP/8001" = "BS001"
"Local/8002@agents" = "BS002"
"user/1003" = "BS003"
"Alice" = "BS004"

[pause_reasons]
"午餐" = "meal"
"培训" = "training"
"#;

#[test]
fn a_full_mapping_file_reads() {
    let options = ImportOptions::from_toml(FILE).expect("valid file");
    assert_eq!(options.unmapped, UnmappedPolicy::KeepRaw);
    assert_eq!(options.short_abandon_seconds, 8);
    assert!(options.cdr_times_in_utc);
    assert_eq!(options.source_instance.as_deref(), Some("rented-pbx"));
    assert_eq!(options.stale_call_seconds, 4 * 3600);
    let m = &options.mapping;
    assert_eq!(m.queue_code("12345-baisha"), Some("BS-MAIN"));
    assert_eq!(
        m.queue_code("12345-BAISHA"),
        Some("BS-MAIN"),
        "queue names ignore case"
    );
    assert_eq!(m.queue_code("other"), None);
    assert_eq!(m.agent_code("PJSIP/8001"), Some("BS001"));
    assert_eq!(m.agent_code("pjsip/8001"), Some("BS001"));
    assert_eq!(m.agent_code("PJSIP/8001-000000a1"), Some("BS001"));
    assert_eq!(m.agent_code("Local/8002@agents/n"), Some("BS002"));
    assert_eq!(m.agent_code("Local/8002@agents-0000001f;2"), Some("BS002"));
    assert_eq!(m.agent_code("user/1003"), Some("BS003"));
    assert_eq!(m.agent_code("Alice"), Some("BS004"));
    assert_eq!(
        m.agent_code("SIP/8001"),
        None,
        "another technology is another device"
    );
    assert_eq!(m.pause_reason_code("午餐"), Some("meal"));
}

#[test]
fn an_empty_file_gives_the_defaults() {
    let options = ImportOptions::from_toml("").expect("empty is valid");
    assert_eq!(options, ImportOptions::default());
    assert_eq!(options.unmapped, UnmappedPolicy::Error);
    assert_eq!(options.short_abandon_seconds, 5);
    assert_eq!(
        options.local_offset,
        FixedOffset::east_opt(8 * 3600).expect("valid")
    );
}

type IsExpected = fn(&ConfigError) -> bool;

#[test]
fn mistakes_in_the_file_are_reported() {
    let cases: [(&str, IsExpected); 5] = [
        ("short_abandon_secs = 5", |e| {
            matches!(e, ConfigError::Toml(_))
        }),
        ("unmapped = \"ignore\"", |e| {
            matches!(e, ConfigError::Toml(_))
        }),
        ("utc_offset = \"Asia/Shanghai\"", |e| {
            matches!(e, ConfigError::BadUtcOffset(_))
        }),
        ("[queues]\n\"q\" = \" \"", |e| {
            matches!(
                e,
                ConfigError::EmptyCode {
                    table: "queues",
                    ..
                }
            )
        }),
        (
            "[agents]\n\"SIP/8001\" = \"BS001\"\n\"sip/8001\" = \"BS009\"",
            |e| {
                matches!(
                    e,
                    ConfigError::ConflictingKeys {
                        table: "agents",
                        ..
                    }
                )
            },
        ),
    ];
    for (text, is_expected) in cases {
        match ImportOptions::from_toml(text) {
            Err(error) => assert!(is_expected(&error), "{text}: {error}"),
            Ok(_) => panic!("{text} should be refused"),
        }
    }
    // The same name twice with the same code is fine.
    assert!(
        ImportOptions::from_toml("[agents]\n\"SIP/8001\" = \"BS001\"\n\"sip/8001\" = \"BS001\"")
            .is_ok()
    );
}
