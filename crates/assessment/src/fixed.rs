//! Exact arithmetic for scores.
//!
//! Rule values (points, targets, points per percentage point) are decimals with a few digits;
//! they are converted once to integer millionths ("micros"), and every rate is kept as the
//! exact fraction numerator ÷ denominator. A score is computed as one exact fraction in
//! `i128` and rounded once, half away from zero, to integer hundredths of a point. Totals
//! are sums of those hundredths, so 93.4% scores exactly 19.2 and the total is exactly the
//! sum of the indicator scores, with no floating-point drift.

/// Millionths per unit.
pub(crate) const MICRO: i128 = 1_000_000;
/// Micros per hundredth.
pub(crate) const MICROS_PER_HUNDREDTH: i128 = 10_000;
/// Largest magnitude accepted for a rule value; keeps every product far inside `i128`.
pub(crate) const MAX_RULE_VALUE: f64 = 1_000_000.0;
/// Largest count accepted from the aggregator (10¹²); same reason.
pub(crate) const MAX_COUNT: u64 = 1_000_000_000_000;

/// A validated rule value (finite, |x| ≤ [`MAX_RULE_VALUE`]) in micros.
pub(crate) fn micros(x: f64) -> i128 {
    // Validation guarantees finiteness and range; the clamp keeps this total anyway.
    let bounded = if x.is_finite() {
        x.clamp(-MAX_RULE_VALUE, MAX_RULE_VALUE)
    } else {
        0.0
    };
    // Within ±10¹² after scaling, so the cast is exact.
    (bounded * 1e6).round() as i128
}

/// `a / b` rounded half away from zero; `b` must be positive (callers guarantee it).
pub(crate) fn div_round(a: i128, b: i128) -> i128 {
    if b <= 0 {
        return 0;
    }
    let half = b / 2;
    if a >= 0 {
        (a + half) / b
    } else {
        -((-a + half) / b)
    }
}

/// `a / b` rounded toward negative infinity; `b` positive.
pub(crate) fn div_floor(a: i128, b: i128) -> i128 {
    if b <= 0 {
        return 0;
    }
    let q = a / b;
    if a % b != 0 && a < 0 { q - 1 } else { q }
}

/// `a / b` rounded toward positive infinity; `b` positive.
pub(crate) fn div_ceil(a: i128, b: i128) -> i128 {
    -div_floor(-a, b)
}

/// Micros to hundredths, rounded half away from zero.
pub(crate) fn micros_to_hundredths(m: i128) -> i64 {
    narrow(div_round(m, MICROS_PER_HUNDREDTH))
}

/// Saturating narrowing; values here are bounded far below `i64::MAX`.
pub(crate) fn narrow(x: i128) -> i64 {
    i64::try_from(x).unwrap_or(if x < 0 { i64::MIN } else { i64::MAX })
}

/// Hundredths as the nearest `f64` (prints as the short decimal, e.g. `19.2`).
pub(crate) fn hundredths_to_f64(h: i64) -> f64 {
    h as f64 / 100.0
}

/// A rule value in hundredths (for floors, caps and display).
pub(crate) fn value_to_hundredths(x: f64) -> i64 {
    micros_to_hundredths(micros(x))
}

/// Hundredths as a plain decimal without trailing zeros: `1920` → `"19.2"`, `-80` → `"-0.8"`.
pub(crate) fn fmt_hundredths(h: i64) -> String {
    let sign = if h < 0 { "-" } else { "" };
    let abs = h.unsigned_abs();
    let (whole, frac) = (abs / 100, abs % 100);
    match frac {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

/// Hundredths as a signed score change for notes: `+0.5`, `−0.8` (Unicode minus), `0`.
pub(crate) fn fmt_signed(h: i64) -> String {
    match h.cmp(&0) {
        std::cmp::Ordering::Greater => format!("+{}", fmt_hundredths(h)),
        std::cmp::Ordering::Less => format!("−{}", fmt_hundredths(-h)),
        std::cmp::Ordering::Equal => "0".to_owned(),
    }
}

/// A rule value formatted for notes: `95`, `0.5`, `12.25`.
pub(crate) fn fmt_value(x: f64) -> String {
    fmt_hundredths(value_to_hundredths(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(-4, 10), 0);
        assert_eq!(div_floor(-1, 10), -1);
        assert_eq!(div_floor(1, 10), 0);
        assert_eq!(div_ceil(1, 10), 1);
        assert_eq!(div_ceil(-1, 10), 0);
        assert_eq!(div_ceil(20, 10), 2);
    }

    #[test]
    fn decimals_convert_exactly() {
        assert_eq!(micros(0.95), 950_000);
        assert_eq!(micros(0.5), 500_000);
        assert_eq!(micros(95.0), 95_000_000);
        assert_eq!(micros(f64::NAN), 0);
        assert_eq!(value_to_hundredths(19.2), 1920);
    }

    #[test]
    fn formatting() {
        assert_eq!(fmt_hundredths(1920), "19.2");
        assert_eq!(fmt_hundredths(2000), "20");
        assert_eq!(fmt_hundredths(-80), "-0.8");
        assert_eq!(fmt_hundredths(5), "0.05");
        assert_eq!(fmt_hundredths(165), "1.65");
        assert_eq!(fmt_signed(-80), "−0.8");
        assert_eq!(fmt_signed(50), "+0.5");
        assert_eq!(fmt_signed(0), "0");
        assert_eq!(hundredths_to_f64(1920).to_string(), "19.2");
    }
}
