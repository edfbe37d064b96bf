//! Call figures (话务指标) over finished call records, for any period, queue or agent, each
//! with the definition used, in Chinese and English, to print beside it.
//!
//! Rates are fractions (0.952, not 95.2). A figure with nothing to divide by is `None`
//! ("no data"), never 0 or NaN.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{AgentId, CallOutcome, QueueId, Satisfaction};
use crate::record::CallRecord;

/// GB/T 33358 asks that calls be answered within 15 seconds.
pub const SERVICE_LEVEL_SECONDS: f64 = 15.0;

/// Which records count. A record belongs to a period by its arrival time, `from` included,
/// `to` excluded.
///
/// With `agent` set, the figures are that agent's: a call counts if it rang at the agent (or
/// the agent answered it); `answered` and the times are of the calls the agent answered, so
/// `answer_rate` is the agent's pick-up rate (a call that rang out at the agent and was
/// answered by a colleague is offered to the agent but not answered by them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FigureFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub queue: Option<QueueId>,
    pub agent: Option<AgentId>,
}

impl FigureFilter {
    fn selects(&self, r: &CallRecord) -> bool {
        self.from.is_none_or(|f| r.arrived_at >= f)
            && self.to.is_none_or(|t| r.arrived_at < t)
            && self.queue.as_ref().is_none_or(|q| &r.queue == q)
            && self
                .agent
                .as_ref()
                .is_none_or(|a| r.agent.as_ref() == Some(a) || r.offered_to(a))
    }
}

/// Choices the assessment leaves to the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FigureOptions {
    /// Count short abandons as calls that asked for an agent. Default: no, as the provincial
    /// assessment excludes them (a caller gone within seconds never really waited).
    pub short_abandons_in_offered: bool,
    /// Count calls overflowed back to the province as asked for (and not answered). Default:
    /// yes: they asked this sub-platform for an agent and did not get one here.
    pub overflowed_in_offered: bool,
    /// Signed-in seconds minus breaks of the agents concerned in the period, for
    /// occupancy. `None`: the
    /// occupancy figure is left out.
    pub logged_in_seconds: Option<f64>,
}

impl Default for FigureOptions {
    fn default() -> Self {
        Self {
            short_abandons_in_offered: false,
            overflowed_in_offered: true,
            logged_in_seconds: None,
        }
    }
}

/// The figures. JSON field names are stable: the report command and the API print them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallFigures {
    /// Records selected by the filter.
    pub calls: u64,
    pub offered: u64,
    pub answered: u64,
    /// Abandons, short abandons apart.
    pub abandoned: u64,
    pub short_abandoned: u64,
    pub overflowed: u64,
    /// Answered, then transferred (also counted in `answered`).
    pub transferred: u64,
    pub answered_within_15s: u64,
    pub answer_rate: Option<f64>,
    pub service_level_15s: Option<f64>,
    pub asa_seconds: Option<f64>,
    pub aht_seconds: Option<f64>,
    pub occupancy: Option<f64>,
    pub longest_wait_seconds: Option<f64>,
    /// Callers who gave a rating (未评价 excluded).
    pub satisfaction_rated: u64,
    /// Of those, 满意 or 基本满意.
    pub satisfaction_positive: u64,
    pub satisfaction_rate: Option<f64>,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0 && num.is_finite()).then(|| num / den)
}

/// Computes the figures of the records the filter selects.
pub fn figures(
    records: &[CallRecord],
    filter: &FigureFilter,
    options: &FigureOptions,
) -> CallFigures {
    let mut f = CallFigures::default();
    let mut wait_sum = 0.0;
    let mut handle_sum = 0.0;
    let mut longest: Option<f64> = None;
    for r in records.iter().filter(|r| filter.selects(r)) {
        f.calls += 1;
        let asked = match r.outcome {
            CallOutcome::Completed | CallOutcome::Transferred | CallOutcome::Abandoned => true,
            CallOutcome::ShortAbandoned => options.short_abandons_in_offered,
            CallOutcome::Overflowed => options.overflowed_in_offered,
        };
        f.offered += u64::from(asked);
        longest = Some(longest.map_or(r.wait_seconds, |l| l.max(r.wait_seconds)));
        match r.outcome {
            CallOutcome::Abandoned => f.abandoned += 1,
            CallOutcome::ShortAbandoned => f.short_abandoned += 1,
            CallOutcome::Overflowed => f.overflowed += 1,
            CallOutcome::Completed | CallOutcome::Transferred => {}
        }
        let answered_here = r.answered()
            && filter
                .agent
                .as_ref()
                .is_none_or(|a| r.agent.as_ref() == Some(a));
        if !answered_here {
            continue;
        }
        f.answered += 1;
        if r.outcome == CallOutcome::Transferred {
            f.transferred += 1;
        }
        if r.wait_seconds <= SERVICE_LEVEL_SECONDS {
            f.answered_within_15s += 1;
        }
        wait_sum += r.wait_seconds;
        handle_sum += r.handle_seconds();
        match r.satisfaction {
            Some(Satisfaction::Satisfied | Satisfaction::BasicallySatisfied) => {
                f.satisfaction_rated += 1;
                f.satisfaction_positive += 1;
            }
            Some(Satisfaction::Dissatisfied) => f.satisfaction_rated += 1,
            Some(Satisfaction::NoRating) | None => {}
        }
    }
    let answered = f.answered as f64;
    f.answer_rate = ratio(answered, f.offered as f64);
    f.service_level_15s = ratio(f.answered_within_15s as f64, answered);
    f.asa_seconds = ratio(wait_sum, answered);
    f.aht_seconds = ratio(handle_sum, answered);
    f.occupancy = options
        .logged_in_seconds
        .and_then(|logged| ratio(handle_sum, logged));
    f.longest_wait_seconds = longest;
    f.satisfaction_rate = ratio(f.satisfaction_positive as f64, f.satisfaction_rated as f64);
    f
}

/// One figure with its labels and definition, for a table or a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureRow {
    /// The JSON field name.
    pub code: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub value: Option<f64>,
    /// The value as printed: counts plain, rates as percentages, times in seconds, `—` for
    /// no data.
    pub display: String,
    pub definition_zh: String,
    pub definition_en: String,
}

/// One figure's fixed labels and definition.
struct Definition {
    code: &'static str,
    label_zh: &'static str,
    label_en: &'static str,
    unit: Unit,
    zh: &'static str,
    en: &'static str,
}

#[derive(Clone, Copy)]
enum Unit {
    Count,
    Rate,
    Seconds,
}

/// In report order. `offered`'s text depends on the options and is written in `rows`.
const DEFINITIONS: &[Definition] = &[
    Definition {
        code: "calls",
        label_zh: "来电总数",
        label_en: "Calls",
        unit: Unit::Count,
        zh: "所选范围内的全部来电记录。",
        en: "Every call record in the selection.",
    },
    Definition {
        code: "offered",
        label_zh: "呼入人工量",
        label_en: "Offered",
        unit: Unit::Count,
        zh: "",
        en: "",
    },
    Definition {
        code: "answered",
        label_zh: "人工接通量",
        label_en: "Answered",
        unit: Unit::Count,
        zh: "由本分平台话务员接听的来电（含接通后转接）。",
        en: "Calls answered by an agent of the sub-platform (answered then transferred included).",
    },
    Definition {
        code: "abandoned",
        label_zh: "放弃量",
        label_en: "Abandoned",
        unit: Unit::Count,
        zh: "排队或振铃中来电人挂机的来电，不含短时放弃。",
        en: "Callers who hung up while waiting or ringing, short abandons apart.",
    },
    Definition {
        code: "short_abandoned",
        label_zh: "短时放弃量",
        label_en: "Short abandons",
        unit: Unit::Count,
        zh: "排队不足短时放弃阈值即挂机的来电，单列。",
        en: "Callers who hung up within the short-abandon threshold, counted apart.",
    },
    Definition {
        code: "overflowed",
        label_zh: "溢出回省量",
        label_en: "Overflowed",
        unit: Unit::Count,
        zh: "未接通即退回省12345中心的来电（等待超时、排队超长或无坐席）。",
        en: "Calls sent back to the provincial 12345 centre unanswered \
             (waited too long, queue full or no agent).",
    },
    Definition {
        code: "transferred",
        label_zh: "转接量",
        label_en: "Transferred",
        unit: Unit::Count,
        zh: "接通后转部门热线或转回省的来电，已计入人工接通量。",
        en: "Answered calls then transferred to a department or the province; \
             included in answered.",
    },
    Definition {
        code: "answer_rate",
        label_zh: "接通率",
        label_en: "Answer rate",
        unit: Unit::Rate,
        zh: "人工接通量 ÷ 呼入人工量。",
        en: "Answered ÷ offered.",
    },
    Definition {
        code: "service_level_15s",
        label_zh: "15秒接通率",
        label_en: "Service level (15 s)",
        unit: Unit::Rate,
        zh: "15秒内（含）接通的来电 ÷ 人工接通量（GB/T 33358 要求15秒内接听）。",
        en: "Calls answered within 15 s (inclusive) ÷ answered \
             (GB/T 33358 asks for answer within 15 s).",
    },
    Definition {
        code: "asa_seconds",
        label_zh: "平均应答速度",
        label_en: "Average speed of answer",
        unit: Unit::Seconds,
        zh: "接通来电从进入队列到接听的平均等待秒数。",
        en: "Mean seconds from entering the queue to answer, over answered calls.",
    },
    Definition {
        code: "aht_seconds",
        label_zh: "平均处理时长",
        label_en: "Average handle time",
        unit: Unit::Seconds,
        zh: "接通来电的平均（通话＋话后处理）秒数。",
        en: "Mean seconds of talk plus wrap-up, over answered calls.",
    },
    Definition {
        code: "occupancy",
        label_zh: "占用率",
        label_en: "Occupancy",
        unit: Unit::Rate,
        zh: "接通来电的（通话＋话后处理）总时长 ÷ 话务员登录总时长（扣除小休）。",
        en: "Total talk plus wrap-up of answered calls ÷ the agents' signed-in time minus breaks.",
    },
    Definition {
        code: "longest_wait_seconds",
        label_zh: "最长等待",
        label_en: "Longest wait",
        unit: Unit::Seconds,
        zh: "所选来电从进入队列到接听、放弃或溢出的最长秒数。",
        en: "Longest seconds from entering the queue to answer, abandon or overflow.",
    },
    Definition {
        code: "satisfaction_rated",
        label_zh: "评价量",
        label_en: "Rated",
        unit: Unit::Count,
        zh: "接通后作出满意度评价的来电（未评价不计）。",
        en: "Answered calls whose caller gave a rating (no rating excluded).",
    },
    Definition {
        code: "satisfaction_rate",
        label_zh: "前台服务满意率",
        label_en: "Front-desk satisfaction",
        unit: Unit::Rate,
        zh: "（满意＋基本满意）÷ 评价量。",
        en: "(Satisfied + basically satisfied) ÷ rated.",
    },
];

impl CallFigures {
    fn value_of(&self, code: &str) -> Option<f64> {
        let count = |v: u64| Some(v as f64);
        match code {
            "calls" => count(self.calls),
            "offered" => count(self.offered),
            "answered" => count(self.answered),
            "abandoned" => count(self.abandoned),
            "short_abandoned" => count(self.short_abandoned),
            "overflowed" => count(self.overflowed),
            "transferred" => count(self.transferred),
            "answer_rate" => self.answer_rate,
            "service_level_15s" => self.service_level_15s,
            "asa_seconds" => self.asa_seconds,
            "aht_seconds" => self.aht_seconds,
            "occupancy" => self.occupancy,
            "longest_wait_seconds" => self.longest_wait_seconds,
            "satisfaction_rated" => count(self.satisfaction_rated),
            "satisfaction_rate" => self.satisfaction_rate,
            _ => None,
        }
    }

    /// Every figure, in report order, with the definitions that `options` imply.
    pub fn rows(&self, options: &FigureOptions) -> Vec<FigureRow> {
        let offered_zh = format!(
            "呼入人工量：请求人工服务的来电，即接通＋放弃{}{}。\
             短时放弃指排队不足短时放弃阈值（默认5秒）即挂机。",
            if options.overflowed_in_offered {
                "＋溢出回省"
            } else {
                "（溢出回省不计）"
            },
            if options.short_abandons_in_offered {
                "＋短时放弃"
            } else {
                "（短时放弃不计）"
            },
        );
        let offered_en = format!(
            "Calls that asked for an agent: answered + abandoned{}{}. A short abandon is a \
             caller who hung up within the short-abandon threshold (default 5 s).",
            if options.overflowed_in_offered {
                " + overflowed"
            } else {
                " (overflowed excluded)"
            },
            if options.short_abandons_in_offered {
                " + short abandons"
            } else {
                " (short abandons excluded)"
            },
        );
        DEFINITIONS
            .iter()
            .map(|d| {
                let value = self.value_of(d.code);
                let (definition_zh, definition_en) = if d.code == "offered" {
                    (offered_zh.clone(), offered_en.clone())
                } else {
                    (d.zh.to_owned(), d.en.to_owned())
                };
                FigureRow {
                    code: d.code,
                    label_zh: d.label_zh,
                    label_en: d.label_en,
                    value,
                    display: display(value, d.unit),
                    definition_zh,
                    definition_en,
                }
            })
            .collect()
    }
}

fn display(value: Option<f64>, unit: Unit) -> String {
    match (value, unit) {
        (None, _) => "—".to_owned(),
        (Some(v), Unit::Count) => format!("{v:.0}"),
        (Some(v), Unit::Rate) => format!("{:.2}%", v * 100.0),
        (Some(v), Unit::Seconds) => format!("{v:.1} s"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::model::{CallId, OfferAttempt, OfferResult, Priority};

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap() + Duration::seconds(secs)
    }

    /// A record arriving at `arrive`, with the given outcome and times.
    fn rec(
        id: u64,
        queue: &str,
        arrive: i64,
        outcome: CallOutcome,
        agent: Option<&str>,
        (wait, talk, wrap): (f64, f64, f64),
    ) -> CallRecord {
        let answered = outcome.answered();
        CallRecord {
            call_id: CallId(id),
            provincial_call_id: format!("P{id}"),
            caller: "13800000000".into(),
            called: "12345".into(),
            queue: QueueId::new(queue),
            priority: Priority::Normal,
            required_skill: None,
            arrived_at: t(arrive),
            widened_at: None,
            offers: agent
                .filter(|_| answered)
                .map(|a| OfferAttempt {
                    agent: AgentId::new(a),
                    offered_at: t(arrive),
                    ended_at: t(arrive + wait as i64),
                    result: OfferResult::Answered,
                })
                .into_iter()
                .collect(),
            answered_at: answered.then(|| t(arrive + wait as i64)),
            agent: agent.filter(|_| answered).map(AgentId::new),
            transfers: Vec::new(),
            ended_at: t(arrive + (wait + talk) as i64),
            ended_by: None,
            wrap_up_ended_at: None,
            outcome,
            overflow_reason: None,
            wait_seconds: wait,
            talk_seconds: talk,
            wrap_up_seconds: wrap,
            satisfaction: None,
        }
    }

    fn sample() -> Vec<CallRecord> {
        use CallOutcome::*;
        let mut v = vec![
            rec(1, "general", 100, Completed, Some("A"), (10.0, 100.0, 20.0)),
            rec(2, "general", 200, Completed, Some("A"), (20.0, 200.0, 40.0)),
            rec(3, "general", 300, Transferred, Some("B"), (15.0, 60.0, 0.0)),
            rec(4, "general", 400, Abandoned, None, (40.0, 0.0, 0.0)),
            rec(5, "general", 500, ShortAbandoned, None, (3.0, 0.0, 0.0)),
            rec(6, "general", 600, Overflowed, None, (60.0, 0.0, 0.0)),
            rec(7, "tourism", 700, Completed, Some("B"), (5.0, 50.0, 10.0)),
            rec(8, "general", 90_000, Completed, Some("A"), (1.0, 10.0, 0.0)),
        ];
        v[0].satisfaction = Some(Satisfaction::Satisfied);
        v[1].satisfaction = Some(Satisfaction::Dissatisfied);
        v[2].satisfaction = Some(Satisfaction::NoRating);
        // Call 4 rang at A, who did not answer.
        v[3].offers.push(OfferAttempt {
            agent: AgentId::new("A"),
            offered_at: t(400),
            ended_at: t(415),
            result: OfferResult::NoAnswer,
        });
        v
    }

    fn general_first_day() -> FigureFilter {
        FigureFilter {
            from: Some(t(0)),
            to: Some(t(86_400)),
            queue: Some(QueueId::new("general")),
            agent: None,
        }
    }

    #[test]
    fn hand_checked_figures_for_one_queue_and_day() {
        let options = FigureOptions {
            logged_in_seconds: Some(1000.0),
            ..FigureOptions::default()
        };
        let f = figures(&sample(), &general_first_day(), &options);
        assert_eq!(f.calls, 6);
        // 3 answered + 1 abandoned + 1 overflowed; the short abandon is left out.
        assert_eq!(f.offered, 5);
        assert_eq!(f.answered, 3);
        assert_eq!(
            (f.abandoned, f.short_abandoned, f.overflowed, f.transferred),
            (1, 1, 1, 1)
        );
        assert_eq!(f.answer_rate, Some(0.6));
        // Waits 10, 20, 15: 15 s counts as within.
        assert_eq!(f.answered_within_15s, 2);
        assert_eq!(f.service_level_15s, Some(2.0 / 3.0));
        assert_eq!(f.asa_seconds, Some(15.0));
        // (120 + 240 + 60) / 3
        assert_eq!(f.aht_seconds, Some(140.0));
        assert_eq!(f.occupancy, Some(0.42));
        assert_eq!(f.longest_wait_seconds, Some(60.0));
        // Satisfied and dissatisfied rated; "no rating" is not a rating.
        assert_eq!((f.satisfaction_rated, f.satisfaction_positive), (2, 1));
        assert_eq!(f.satisfaction_rate, Some(0.5));
    }

    #[test]
    fn options_decide_what_counts_as_offered() {
        let records = sample();
        let filter = general_first_day();
        let cases = [
            (false, true, 5, 0.6),
            (true, true, 6, 0.5),
            (false, false, 4, 0.75),
            (true, false, 5, 0.6),
        ];
        for (short, overflow, offered, rate) in cases {
            let options = FigureOptions {
                short_abandons_in_offered: short,
                overflowed_in_offered: overflow,
                logged_in_seconds: None,
            };
            let f = figures(&records, &filter, &options);
            assert_eq!(f.offered, offered, "short {short} overflow {overflow}");
            assert_eq!(f.answer_rate, Some(rate));
            assert_eq!(f.occupancy, None);
        }
    }

    #[test]
    fn agent_figures_count_calls_rung_at_the_agent() {
        let filter = FigureFilter {
            agent: Some(AgentId::new("A")),
            to: Some(t(86_400)),
            ..FigureFilter::default()
        };
        let f = figures(&sample(), &filter, &FigureOptions::default());
        // Calls 1, 2 answered by A; call 4 rang at A and was abandoned.
        assert_eq!((f.calls, f.offered, f.answered, f.abandoned), (3, 3, 2, 1));
        assert_eq!(f.answer_rate, Some(2.0 / 3.0));
        assert_eq!(f.aht_seconds, Some(180.0));
    }

    #[test]
    fn no_records_means_no_data_not_zero() {
        let f = figures(&[], &FigureFilter::default(), &FigureOptions::default());
        assert_eq!(f.offered, 0);
        assert_eq!(f.answer_rate, None);
        assert_eq!(f.service_level_15s, None);
        assert_eq!(f.longest_wait_seconds, None);
        let rows = f.rows(&FigureOptions::default());
        assert!(
            rows.iter()
                .any(|r| r.code == "answer_rate" && r.display == "—")
        );
    }

    #[test]
    fn json_uses_the_report_field_names_and_rows_carry_definitions() {
        let f = figures(&sample(), &general_first_day(), &FigureOptions::default());
        let json = serde_json::to_value(&f).unwrap();
        for field in [
            "offered",
            "answered",
            "abandoned",
            "short_abandoned",
            "overflowed",
            "answer_rate",
            "service_level_15s",
            "asa_seconds",
            "aht_seconds",
            "occupancy",
            "longest_wait_seconds",
        ] {
            assert!(json.get(field).is_some(), "{field} missing");
        }
        assert_eq!(json["answer_rate"], 0.6);
        let rows = f.rows(&FigureOptions::default());
        let mut codes: Vec<_> = rows.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), rows.len());
        let rate = rows.iter().find(|r| r.code == "answer_rate").unwrap();
        assert_eq!(rate.display, "60.00%");
        assert_eq!(rate.label_zh, "接通率");
        assert!(rate.definition_zh.contains('÷') && !rate.definition_en.is_empty());
        for r in &rows {
            assert!(json.get(r.code).is_some(), "row {} is not a field", r.code);
        }
        let offered = rows.iter().find(|r| r.code == "offered").unwrap();
        assert!(offered.definition_zh.contains("短时放弃不计"));
        let with_short = FigureOptions {
            short_abandons_in_offered: true,
            ..FigureOptions::default()
        };
        let offered = f
            .rows(&with_short)
            .into_iter()
            .find(|r| r.code == "offered")
            .unwrap();
        assert!(offered.definition_en.contains("+ short abandons"));
    }
}
