//! The contract and its money: the bill of quantities (工程量清单), monthly cost records,
//! budget versus actual, and the final-payment settlement.
//!
//! Money is integer fen (分) everywhere, so sums are exact; the one non-integer input, the
//! payment ratio from the assessment, is taken to nine decimals and the result rounded half
//! away from zero (四舍五入) to the fen. See [`settlement`].

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::coded_enum;
use crate::error::{OpsError, Result, require_text};
use crate::time::{DateRange, YearMonth};

/// An amount of money in fen (分, 1/100 yuan). Negative amounts are corrections or credits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn from_yuan(yuan: i64) -> Option<Fen> {
        yuan.checked_mul(100).map(Fen)
    }

    /// Parses `1234`, `1234.5` or `-1234.56` yuan (as typed in a CSV or a form).
    pub fn parse_yuan(s: &str) -> Result<Fen> {
        let bad = || OpsError::invalid("amount", format!("`{s}` is not an amount in yuan"));
        let t = s.trim().replace(',', "");
        let (neg, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.as_str()),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty()
            || frac.len() > 2
            || !whole
                .bytes()
                .chain(frac.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let fen = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac))
            .ok_or_else(bad)?;
        Ok(Fen(if neg { -fen } else { fen }))
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }
}

/// Yuan with two decimals, e.g. `1406000.00`.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

fn overflow() -> OpsError {
    OpsError::invalid("amount", "amount too large")
}

/// `num / den` rounded half away from zero (四舍五入); `den` must be positive.
fn div_round(num: i128, den: i128) -> i128 {
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

fn to_fen(v: i128) -> Result<Fen> {
    i64::try_from(v).map(Fen).map_err(|_| overflow())
}

coded_enum! {
    pub enum BillSection {
        /// 坐席人工费: people, night duty, operating costs, insurance, management fee.
        Labour => ("labour", "坐席人工费"),
        /// 运营维护费: lines, telephones, seat resources, maintenance.
        Operations => ("operations", "运营维护费"),
    }
}

/// One line of the bill of quantities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillLine {
    /// Stable code cost records refer to (`agent`, `night_duty`, `line_call_centre`...).
    pub code: String,
    pub section: BillSection,
    pub name_zh: String,
    /// Unit of the quantity, e.g. 人·年, 晚, 条·年, 部·月.
    pub unit: String,
    pub quantity: u32,
    pub unit_price: Fen,
    #[serde(default)]
    pub note: Option<String>,
    /// The price is an example (a default to be replaced by the signed contract's).
    #[serde(default)]
    pub example: bool,
}

impl BillLine {
    /// quantity × unit price.
    pub fn amount(&self) -> Result<Fen> {
        self.unit_price
            .0
            .checked_mul(i64::from(self.quantity))
            .map(Fen)
            .ok_or_else(overflow)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        require_text("bill.code", &self.code)?;
        require_text("bill.name_zh", &self.name_zh)?;
        require_text("bill.unit", &self.unit)?;
        if self.unit_price.0 < 0 {
            return Err(OpsError::invalid(
                "bill.unit_price",
                format!("line `{}` has a negative price", self.code),
            ));
        }
        self.amount().map(|_| ())
    }
}

/// The procurement contract (政府采购合同).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub buyer: String,
    pub operator: String,
    /// First day of the service.
    pub start: NaiveDate,
    /// Last day of the service (inclusive).
    pub end: NaiveDate,
    pub total_amount: Fen,
    /// Share of the total paid as the final payment, settled by the assessment, in basis
    /// points (3000 = 30 %).
    pub final_payment_share_bp: u32,
    pub lines: Vec<BillLine>,
}

impl Contract {
    /// Builds a one-year contract from a default bill; the total is the bill's sum.
    pub fn from_bill(
        buyer: &str,
        operator: &str,
        start: NaiveDate,
        final_payment_share_bp: u32,
        lines: Vec<BillLine>,
    ) -> Result<Contract> {
        let end = start
            .checked_add_months(chrono::Months::new(12))
            .and_then(|d| d.pred_opt())
            .ok_or_else(|| OpsError::invalid("start", "out of range"))?;
        let total_amount = bill_total(&lines)?;
        let c = Contract {
            buyer: buyer.trim().to_string(),
            operator: operator.trim().to_string(),
            start,
            end,
            total_amount,
            final_payment_share_bp,
            lines,
        };
        c.validate()?;
        Ok(c)
    }

    pub fn validate(&self) -> Result<()> {
        require_text("buyer", &self.buyer)?;
        require_text("operator", &self.operator)?;
        if self.end < self.start {
            return Err(OpsError::end_before_start("contract", self.start, self.end));
        }
        if self.final_payment_share_bp > 10_000 {
            return Err(OpsError::invalid(
                "final_payment_share_bp",
                format!("{} is more than 100 %", self.final_payment_share_bp),
            ));
        }
        if self.lines.is_empty() {
            return Err(OpsError::invalid(
                "lines",
                "the bill of quantities is empty",
            ));
        }
        for (i, line) in self.lines.iter().enumerate() {
            line.validate()?;
            if self.lines[..i].iter().any(|o| o.code == line.code) {
                return Err(OpsError::Conflict {
                    what: "bill of quantities",
                    detail: format!("line `{}` twice", line.code),
                });
            }
        }
        let sum = bill_total(&self.lines)?;
        if sum != self.total_amount {
            return Err(OpsError::invalid(
                "total_amount",
                format!(
                    "the bill adds up to {sum} yuan but the contract total is {} yuan",
                    self.total_amount
                ),
            ));
        }
        Ok(())
    }

    /// The service period as a day range.
    pub fn term(&self) -> Result<DateRange> {
        DateRange::inclusive(self.start, self.end)
    }

    pub fn line(&self, code: &str) -> Option<&BillLine> {
        self.lines.iter().find(|l| l.code == code)
    }

    /// Checks a cost record: a known line, a month inside the contract.
    pub fn check_cost(&self, record: &CostRecord) -> Result<()> {
        if self.line(&record.line_code).is_none() {
            return Err(OpsError::unknown("bill line", record.line_code.clone()));
        }
        let month = record.month.range()?;
        if month.intersect(&self.term()?).is_empty() {
            return Err(OpsError::invalid(
                "month",
                format!(
                    "{} is outside the contract {}–{}",
                    record.month, self.start, self.end
                ),
            ));
        }
        Ok(())
    }
}

/// Sum of the bill's line amounts.
pub fn bill_total(lines: &[BillLine]) -> Result<Fen> {
    lines.iter().try_fold(Fen::ZERO, |acc, l| {
        acc.checked_add(l.amount()?).ok_or_else(overflow)
    })
}

/// Money actually spent against a bill line in a month (payroll, rent, premiums...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostRecord {
    pub line_code: String,
    pub month: YearMonth,
    pub amount: Fen,
    /// Quantity delivered, when it means something (nights staffed, people insured...).
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Budget against actual for one line (or the total).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineBudget {
    pub code: String,
    pub name_zh: String,
    pub section: Option<BillSection>,
    pub budget: Fen,
    /// The budget for the days elapsed through the month asked for.
    pub budget_to_date: Fen,
    pub actual: Fen,
    /// actual − budget to date: positive means overspent so far.
    pub variance_to_date: Fen,
    /// budget − actual.
    pub remaining: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetReport {
    pub through: YearMonth,
    pub days_elapsed: i64,
    pub days_total: i64,
    pub lines: Vec<LineBudget>,
    pub total: LineBudget,
}

/// Budget versus actual through the end of `through` (cost records of later months are
/// ignored). The budget to date is the line budget × elapsed contract days ÷ contract days,
/// rounded to the fen. Cost records for unknown lines are an error: they would vanish.
pub fn budget_vs_actual(
    contract: &Contract,
    costs: &[CostRecord],
    through: YearMonth,
) -> Result<BudgetReport> {
    let term = contract.term()?;
    let elapsed_to = through.next()?.first_day()?.clamp(term.from, term.to);
    let (days_elapsed, days_total) = ((elapsed_to - term.from).num_days(), term.len_days());
    let mut lines = Vec::with_capacity(contract.lines.len());
    let mut total = LineBudget {
        code: "total".into(),
        name_zh: "合计".into(),
        section: None,
        budget: Fen::ZERO,
        budget_to_date: Fen::ZERO,
        actual: Fen::ZERO,
        variance_to_date: Fen::ZERO,
        remaining: Fen::ZERO,
    };
    for c in costs {
        contract.check_cost(c)?;
    }
    for line in &contract.lines {
        let budget = line.amount()?;
        let actual = costs
            .iter()
            .filter(|c| c.line_code == line.code && c.month <= through)
            .try_fold(Fen::ZERO, |acc, c| {
                acc.checked_add(c.amount).ok_or_else(overflow)
            })?;
        let budget_to_date = to_fen(div_round(
            i128::from(budget.0) * i128::from(days_elapsed),
            i128::from(days_total.max(1)),
        ))?;
        let row = LineBudget {
            code: line.code.clone(),
            name_zh: line.name_zh.clone(),
            section: Some(line.section),
            budget,
            budget_to_date,
            actual,
            variance_to_date: actual.checked_sub(budget_to_date).ok_or_else(overflow)?,
            remaining: budget.checked_sub(actual).ok_or_else(overflow)?,
        };
        let add = |a: Fen, b: Fen| a.checked_add(b).ok_or_else(overflow);
        total.budget = add(total.budget, row.budget)?;
        total.budget_to_date = add(total.budget_to_date, row.budget_to_date)?;
        total.actual = add(total.actual, row.actual)?;
        total.variance_to_date = add(total.variance_to_date, row.variance_to_date)?;
        total.remaining = add(total.remaining, row.remaining)?;
        lines.push(row);
    }
    Ok(BudgetReport {
        through,
        days_elapsed,
        days_total,
        lines,
        total,
    })
}

/// The final payment (尾款) as the assessment settles it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settlement {
    pub total_amount: Fen,
    pub final_payment_share_bp: u32,
    /// total × share: the final payment at a 100 % ratio.
    pub final_payment_base: Fen,
    /// The ratio from the assessment's payment table (0..=1).
    pub payment_ratio: f64,
    /// The final payment due: total × share × ratio, rounded to the fen.
    pub final_payment_due: Fen,
    /// base − due: what the score cost the operator.
    pub withheld: Fen,
}

/// Final payment = total × final share × payment ratio.
///
/// Rounding: the ratio is first rounded to 9 decimals (so 0.95 is exactly 950000000/10⁹,
/// whatever its binary form); then total (fen) × share (bp) × ratio (10⁻⁹) is computed
/// exactly in 128-bit integers and rounded once, half away from zero (四舍五入), to the fen.
/// The base is rounded the same way, and withheld = base − due so the two always add up.
pub fn settlement(contract: &Contract, payment_ratio: f64) -> Result<Settlement> {
    if !payment_ratio.is_finite() || !(0.0..=1.0).contains(&payment_ratio) {
        return Err(OpsError::invalid(
            "payment_ratio",
            format!("{payment_ratio} is not between 0 and 1"),
        ));
    }
    if contract.final_payment_share_bp > 10_000 {
        return Err(OpsError::invalid(
            "final_payment_share_bp",
            "more than 100 %",
        ));
    }
    const NANO: i128 = 1_000_000_000;
    let ratio_nano = (payment_ratio * 1e9).round() as i128;
    let total = i128::from(contract.total_amount.0);
    let share = i128::from(contract.final_payment_share_bp);
    let base = to_fen(div_round(total * share, 10_000))?;
    let due = to_fen(div_round(total * share * ratio_nano, 10_000 * NANO))?;
    Ok(Settlement {
        total_amount: contract.total_amount,
        final_payment_share_bp: contract.final_payment_share_bp,
        final_payment_base: base,
        payment_ratio,
        final_payment_due: due,
        withheld: base.checked_sub(due).ok_or_else(overflow)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OperationsConfig;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn baisha() -> Contract {
        let cfg = OperationsConfig::baisha_default().unwrap();
        Contract::from_bill(
            "白沙黎族自治县12345热线办公室",
            "示例运营服务有限公司",
            d(2025, 4, 1),
            cfg.contract.final_payment_share_bp,
            cfg.contract.bill,
        )
        .unwrap()
    }

    #[test]
    fn default_bill_is_complete_and_adds_up() {
        let c = baisha();
        assert_eq!(c.end, d(2026, 3, 31));
        // every line of MISSION.md's bill of quantities is there
        for code in [
            "shift_leader",
            "manager",
            "agent",
            "night_duty",
            "operating",
            "accident_insurance",
            "management_fee",
            "line_call_centre",
            "line_business_platform",
            "line_internet",
            "telephone_rent",
            "seat_resources",
            "maintenance",
        ] {
            assert!(c.line(code).is_some(), "{code}");
        }
        assert_eq!(c.line("night_duty").unwrap().quantity, 365);
        assert_eq!(c.line("accident_insurance").unwrap().quantity, 13);
        assert_eq!(c.line("agent").unwrap().quantity, 10);
        assert!(c.lines.iter().all(|l| l.example));
        // the sum checked by hand in config/operations.toml: 1,406,000.00 yuan
        assert_eq!(c.total_amount, Fen::from_yuan(1_406_000).unwrap());
        let mut broken = c.clone();
        broken.total_amount = Fen(1);
        assert!(
            broken
                .validate()
                .unwrap_err()
                .to_string()
                .contains("adds up to")
        );
        broken = c.clone();
        broken.end = d(2025, 3, 31);
        assert_eq!(broken.validate().unwrap_err().code(), "end_before_start");
    }

    /// A sample payment table as the assessment issue describes (score bands → ratio); the
    /// real one comes from the assessment crate.
    fn sample_ratio(score: f64) -> f64 {
        [
            (95.0, 1.0),
            (90.0, 0.95),
            (85.0, 0.9),
            (80.0, 0.8),
            (0.0, 0.6),
        ]
        .iter()
        .find(|(min, _)| score >= *min)
        .map_or(0.0, |(_, r)| *r)
    }

    #[test]
    fn settlement_for_a_sample_score() {
        let c = baisha();
        // score 91.5 → 95 %
        let s = settlement(&c, sample_ratio(91.5)).unwrap();
        // 1,406,000.00 × 30 % = 421,800.00; × 95 % = 400,710.00
        assert_eq!(s.final_payment_base.to_string(), "421800.00");
        assert_eq!(s.final_payment_due.to_string(), "400710.00");
        assert_eq!(s.withheld.to_string(), "21090.00");
        assert_eq!(
            settlement(&c, sample_ratio(97.0)).unwrap().withheld,
            Fen::ZERO
        );
        assert_eq!(
            settlement(&c, sample_ratio(70.0))
                .unwrap()
                .final_payment_due
                .to_string(),
            "253080.00"
        );
        for bad in [-0.01, 1.01, f64::NAN, f64::INFINITY] {
            assert_eq!(settlement(&c, bad).unwrap_err().code(), "invalid");
        }
    }

    #[test]
    fn settlement_rounds_half_up_to_the_fen() {
        let mut c = baisha();
        c.lines.truncate(1);
        // cases: (total fen, share bp, ratio, due fen)
        let cases = [
            (10, 5000, 0.5, 3),               // 2.5 fen → 3
            (10, 5000, 0.1, 1),               // 0.5 fen, with 0.1 inexact in binary → 1
            (10, 5000, 0.09, 0),              // 0.45 → 0
            (1_000_001, 3000, 0.95, 285_000), // 285000.285 → 285000
            (1_000_005, 3000, 1.0, 300_002),  // 300001.5 → 300002
        ];
        for (total, bp, ratio, due) in cases {
            c.total_amount = Fen(total);
            c.final_payment_share_bp = bp;
            let s = settlement(&c, ratio).unwrap();
            assert_eq!(s.final_payment_due, Fen(due), "{total} {bp} {ratio}");
            assert_eq!(
                s.final_payment_base.checked_sub(s.withheld),
                Some(s.final_payment_due)
            );
        }
    }

    #[test]
    fn budget_versus_actual_by_hand() {
        let c = baisha();
        let agent_month = Fen::from_yuan(65_000).unwrap();
        let costs = vec![
            CostRecord {
                line_code: "agent".into(),
                month: YearMonth::new(2025, 4).unwrap(),
                amount: agent_month,
                quantity: Some(10),
                note: None,
            },
            CostRecord {
                line_code: "agent".into(),
                month: YearMonth::new(2025, 5).unwrap(),
                amount: agent_month,
                quantity: Some(10),
                note: None,
            },
            CostRecord {
                line_code: "night_duty".into(),
                month: YearMonth::new(2025, 4).unwrap(),
                amount: Fen::from_yuan(3_000).unwrap(),
                quantity: Some(30),
                note: None,
            },
            // June is after the report month and is ignored
            CostRecord {
                line_code: "agent".into(),
                month: YearMonth::new(2025, 6).unwrap(),
                amount: agent_month,
                quantity: Some(10),
                note: None,
            },
        ];
        let r = budget_vs_actual(&c, &costs, YearMonth::new(2025, 5).unwrap()).unwrap();
        // April + May = 61 of 365 days
        assert_eq!((r.days_elapsed, r.days_total), (61, 365));
        let agent = r.lines.iter().find(|l| l.code == "agent").unwrap();
        assert_eq!(agent.budget.to_string(), "780000.00");
        // 780,000 × 61 / 365 = 130,356.164… → 130,356.16
        assert_eq!(agent.budget_to_date.to_string(), "130356.16");
        assert_eq!(agent.actual.to_string(), "130000.00");
        assert_eq!(agent.variance_to_date.to_string(), "-356.16");
        assert_eq!(agent.remaining.to_string(), "650000.00");
        let night = r.lines.iter().find(|l| l.code == "night_duty").unwrap();
        // 36,500 × 61 / 365 = 6,100.00; spent 3,000
        assert_eq!(
            (night.budget_to_date.to_string(), night.actual.to_string()),
            ("6100.00".into(), "3000.00".into())
        );
        assert_eq!(r.total.actual.to_string(), "133000.00");
        assert_eq!(r.total.budget, c.total_amount);

        let unknown = CostRecord {
            line_code: "coffee".into(),
            month: YearMonth::new(2025, 4).unwrap(),
            amount: Fen(1),
            quantity: None,
            note: None,
        };
        assert_eq!(
            budget_vs_actual(&c, &[unknown], YearMonth::new(2025, 5).unwrap())
                .unwrap_err()
                .code(),
            "unknown_reference"
        );
        let outside = CostRecord {
            line_code: "agent".into(),
            month: YearMonth::new(2026, 4).unwrap(),
            amount: Fen(1),
            quantity: None,
            note: None,
        };
        assert!(c.check_cost(&outside).is_err());
    }

    #[test]
    fn fen_parse_and_print() {
        let cases = [
            ("1234.56", 123_456),
            ("1,234.5", 123_450),
            ("-0.05", -5),
            ("7", 700),
        ];
        for (s, fen) in cases {
            assert_eq!(Fen::parse_yuan(s).unwrap(), Fen(fen), "{s}");
        }
        for bad in ["", "1.234", "abc", "1.-2", "-", "99999999999999999999"] {
            assert!(Fen::parse_yuan(bad).is_err(), "{bad}");
        }
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(Fen(i64::MIN).to_string(), "-92233720368547758.08");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// The final payment never exceeds the base, grows with the ratio, is the base at 1
        /// and 0 at 0, and is within half a fen of the real-number product.
        #[test]
        fn settlement_invariants(total in 0i64..10_000_000_000, bp in 0u32..=10_000, a in 0.0f64..=1.0, b in 0.0f64..=1.0) {
            let mut c = baisha();
            c.total_amount = Fen(total);
            c.final_payment_share_bp = bp;
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let s_lo = settlement(&c, lo).unwrap();
            let s_hi = settlement(&c, hi).unwrap();
            prop_assert!(s_lo.final_payment_due <= s_hi.final_payment_due);
            prop_assert!(s_hi.final_payment_due <= s_hi.final_payment_base);
            prop_assert_eq!(settlement(&c, 1.0).unwrap().final_payment_due, s_hi.final_payment_base);
            prop_assert_eq!(settlement(&c, 0.0).unwrap().final_payment_due, Fen::ZERO);
            // the ratio is taken to 9 decimals: at most half a nano of the base, plus half a fen
            let base = total as f64 * f64::from(bp) / 10_000.0;
            prop_assert!((s_hi.final_payment_due.0 as f64 - base * hi).abs() <= 0.5 + base * 0.5e-9 + 1e-6);
        }
    }
}
