//! Parse and assemble a generated 1,000,000-line Asterisk queue_log.
//!
//! `CARGO_TARGET_DIR=/work/target-calllog cargo bench -p rexian-calllog --bench queue_log`

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rexian_calllog::{ImportItem, ImportOptions, Importer, Mapping, SourceKind, import_reader};

const LINES: usize = 1_000_000;
/// Calls in progress at once: their lines are interleaved like a busy real log.
const CONCURRENT: u64 = 40;
const AGENTS: u64 = 10;

fn options() -> ImportOptions {
    let mut mapping = Mapping::new();
    let _ = mapping.insert_queue("12345-baisha", "BS-MAIN");
    for agent in 0..AGENTS {
        let _ = mapping.insert_agent(&format!("PJSIP/80{agent:02}"), &format!("BS{agent:03}"));
    }
    ImportOptions {
        mapping,
        ..ImportOptions::default()
    }
}

/// The lines of one call: mostly answered (some after a ring-no-answer), then abandons,
/// short abandons, timeouts and transfers, in the proportions of a busy hotline day.
fn call_script(call: u64, start: i64) -> Vec<String> {
    let id = format!("{start}.{call}");
    let q = "12345-baisha";
    let a = format!("PJSIP/80{:02}", call % AGENTS);
    let b = format!("PJSIP/80{:02}", (call + 1) % AGENTS);
    let mut lines = vec![format!(
        "{start}|{id}|{q}|NONE|ENTERQUEUE||1389876{:04}|1",
        call % 10_000
    )];
    match call % 10 {
        0..=3 => {
            lines.push(format!(
                "{}|{id}|{q}|{a}|CONNECT|8|{start}.9{call}|3",
                start + 8
            ));
            lines.push(format!(
                "{}|{id}|{q}|{a}|COMPLETECALLER|8|95|1",
                start + 103
            ));
        }
        4 | 5 => {
            lines.push(format!("{}|{id}|{q}|{a}|RINGNOANSWER|15000", start + 15));
            lines.push(format!(
                "{}|{id}|{q}|{b}|CONNECT|19|{start}.8{call}|4",
                start + 19
            ));
            lines.push(format!(
                "{}|{id}|{q}|{b}|COMPLETEAGENT|19|240|1",
                start + 259
            ));
        }
        6 => lines.push(format!("{}|{id}|{q}|NONE|ABANDON|1|1|31", start + 31)),
        7 => lines.push(format!("{}|{id}|{q}|NONE|ABANDON|1|1|3", start + 3)),
        8 => {
            lines.push(format!("{}|{id}|{q}|{a}|RINGNOANSWER|15000", start + 15));
            lines.push(format!(
                "{}|{id}|{q}|NONE|EXITWITHTIMEOUT|1|1|60",
                start + 60
            ));
        }
        _ => {
            lines.push(format!(
                "{}|{id}|{q}|{a}|CONNECT|5|{start}.7{call}|2",
                start + 5
            ));
            lines.push(format!(
                "{}|{id}|{q}|{a}|TRANSFER|8800|from-internal|5|61|1",
                start + 66
            ));
        }
    }
    if call.is_multiple_of(25) {
        lines.push(format!("{}|NONE|{q}|{a}|PAUSE|午餐", start + 300));
        lines.push(format!("{}|NONE|{q}|{a}|UNPAUSE|", start + 1_800));
    }
    lines
}

fn generate(lines_wanted: usize) -> (String, usize) {
    let mut text = String::with_capacity(lines_wanted * 64);
    let mut lines = 0;
    let mut call = 0u64;
    let base = 1_759_280_000i64;
    while lines < lines_wanted {
        let batch: Vec<Vec<String>> = (call..call + CONCURRENT)
            .map(|c| call_script(c, base + (c as i64) * 6))
            .collect();
        let steps = batch.iter().map(Vec::len).max().unwrap_or(0);
        for step in 0..steps {
            for script in &batch {
                if let Some(line) = script.get(step) {
                    text.push_str(line);
                    text.push('\n');
                    lines += 1;
                }
            }
        }
        call += CONCURRENT;
    }
    (text, lines)
}

fn bench(c: &mut Criterion) {
    let (text, lines) = generate(LINES);
    let mut group = c.benchmark_group("queue_log");
    group.sample_size(10);
    group.throughput(Throughput::Elements(lines as u64));
    group.bench_function("import_1m_lines_from_str", |b| {
        b.iter(|| {
            let mut importer = Importer::new(SourceKind::AsteriskQueueLog, options());
            let mut out = Vec::with_capacity(64);
            let mut calls = 0usize;
            for (index, line) in text.lines().enumerate() {
                importer.push_line(index as u64 + 1, line, &mut out);
                calls += out
                    .drain(..)
                    .filter(|item| matches!(black_box(item), ImportItem::Call(_)))
                    .count();
            }
            let summary = importer.finish(&mut out);
            assert_eq!(summary.lines_skipped, 0);
            black_box((calls, summary))
        })
    });
    group.bench_function("import_1m_lines_from_reader", |b| {
        b.iter(|| {
            let mut calls = 0usize;
            let summary = import_reader(
                SourceKind::AsteriskQueueLog,
                Cursor::new(text.as_bytes()),
                options(),
                |item| {
                    if matches!(black_box(&item), ImportItem::Call(_)) {
                        calls += 1;
                    }
                },
            );
            black_box((calls, summary.map(|s| s.calls).unwrap_or(0)))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
