//! Personal data of staff: the resident ID card number and the mobile number. Both are parsed
//! into types that only hold valid values, and both have a masked form for lists, so a page
//! that shows many people never needs the full number (only managers see it, on the record).

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{OpsError, Result};

/// Weights of the 17 body digits in the ISO 7064 MOD 11-2 check of GB 11643 ID numbers.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for `sum % 11`.
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A valid 18-character resident ID card number (居民身份证号码, GB 11643-1999): 17 digits
/// (region, birth date, sequence) and an ISO 7064 MOD 11-2 check character (0-9 or X).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdCardNumber(String);

impl IdCardNumber {
    /// Parses a number; spaces are ignored and a lower-case `x` is accepted.
    pub fn parse(input: &str) -> Result<Self> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bad = |reason: &str| OpsError::invalid("id_card_number", reason.to_string());
        if s.chars().count() != 18 {
            return Err(bad("must have 18 characters"));
        }
        let chars: Vec<char> = s.chars().collect();
        let mut sum = 0u32;
        for (c, w) in chars.iter().take(17).zip(ID_WEIGHTS) {
            let digit = c
                .to_digit(10)
                .ok_or_else(|| bad("the first 17 characters must be digits"))?;
            sum += digit * w;
        }
        let expected = ID_CHECK[(sum % 11) as usize];
        if chars[17] != expected {
            return Err(bad("check digit does not match"));
        }
        if birth_date_of(&s).is_none() {
            return Err(bad("characters 7-14 are not a birth date"));
        }
        Ok(IdCardNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in characters 7-14.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        birth_date_of(&self.0)
    }

    /// Masked for lists: first 4 and last 4 characters kept, e.g. `4601**********123X`.
    pub fn masked(&self) -> String {
        mask(&self.0, 4, 4)
    }
}

fn birth_date_of(s: &str) -> Option<NaiveDate> {
    let y = s.get(6..10)?.parse().ok()?;
    let m = s.get(10..12)?.parse().ok()?;
    let d = s.get(12..14)?.parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Never prints the full number by accident (logs, panics, `{:?}` in traces).
impl fmt::Debug for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNumber({})", self.masked())
    }
}

impl From<IdCardNumber> for String {
    fn from(v: IdCardNumber) -> String {
        v.0
    }
}

impl TryFrom<String> for IdCardNumber {
    type Error = OpsError;
    fn try_from(s: String) -> Result<Self> {
        IdCardNumber::parse(&s)
    }
}

/// A mainland China mobile number: 11 digits, `1` then `3`-`9`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Parses a number; spaces and hyphens are ignored, and a `+86`/`86` prefix is dropped.
    pub fn parse(input: &str) -> Result<Self> {
        let mut s: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if let Some(rest) = s.strip_prefix("+86") {
            s = rest.to_string();
        } else if s.len() == 13
            && let Some(rest) = s.strip_prefix("86")
        {
            s = rest.to_string();
        }
        let bytes = s.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if !valid {
            return Err(OpsError::invalid(
                "mobile",
                "must be 11 digits starting with 1 and 3-9",
            ));
        }
        Ok(MobileNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Masked for lists: `138****5678`.
    pub fn masked(&self) -> String {
        mask(&self.0, 3, 4)
    }
}

impl fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileNumber({})", self.masked())
    }
}

impl From<MobileNumber> for String {
    fn from(v: MobileNumber) -> String {
        v.0
    }
}

impl TryFrom<String> for MobileNumber {
    type Error = OpsError;
    fn try_from(s: String) -> Result<Self> {
        MobileNumber::parse(&s)
    }
}

/// Keeps `head` and `tail` characters and stars the rest (ASCII input, one star per char).
fn mask(s: &str, head: usize, tail: usize) -> String {
    let n = s.chars().count();
    if n <= head + tail {
        return "*".repeat(n);
    }
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds a valid number from 17 body digits, computing the check character by hand.
    fn with_check(body: &str) -> String {
        let sum: u32 = body
            .chars()
            .zip(ID_WEIGHTS)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        format!("{body}{}", ID_CHECK[(sum % 11) as usize])
    }

    #[test]
    fn id_card_check_digit_by_hand() {
        // The GB 11643 worked example: 11010519491231002X.
        // Sum = 1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0*8+0*4+2*2 = 167,
        // 167 mod 11 = 2, and position 2 of the check table is X.
        let id = IdCardNumber::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31));
        assert_eq!(id.masked(), "1101**********002X");
        assert!(!format!("{id:?}").contains("05194912"));
    }

    #[test]
    fn id_card_rejections_name_the_problem() {
        let cases = [
            ("11010519491231002", "18 characters"),
            ("110105194912310021", "check digit"),
            ("1101051949123100AX", "digits"),
            // valid check digit but 1949-13-31 is no date
            ("", "18 characters"),
        ];
        for (input, needle) in cases {
            let err = IdCardNumber::parse(input).unwrap_err().to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
        let bad_date = with_check("46010219491331002");
        let err = IdCardNumber::parse(&bad_date).unwrap_err().to_string();
        assert!(err.contains("birth date"), "{err}");
    }

    #[test]
    fn mobile_parse_and_mask() {
        for input in [
            "13812345678",
            "138 1234 5678",
            "+86 138-1234-5678",
            "8613812345678",
        ] {
            let m = MobileNumber::parse(input).unwrap();
            assert_eq!(m.as_str(), "13812345678");
            assert_eq!(m.masked(), "138****5678");
        }
        for bad in [
            "1381234567",
            "23812345678",
            "12812345678",
            "1381234567a",
            "",
        ] {
            assert!(MobileNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_refuses_invalid_numbers() {
        assert!(serde_json::from_str::<MobileNumber>("\"12345\"").is_err());
        let m: MobileNumber = serde_json::from_str("\"13912345678\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"13912345678\"");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any 17 digits with a correct birth date and the computed check character parse;
        /// changing the check character makes it fail.
        #[test]
        fn computed_check_digit_always_validates(
            region in 110000u32..659999,
            year in 1940i32..2010,
            doy in 0u32..365,
            seq in 0u32..999,
        ) {
            let birth = NaiveDate::from_yo_opt(year, doy + 1).unwrap();
            let body = format!("{region:06}{}{seq:03}", birth.format("%Y%m%d"));
            let good = with_check(&body);
            let id = IdCardNumber::parse(&good).unwrap();
            prop_assert_eq!(id.birth_date(), Some(birth));
            prop_assert_eq!(id.masked().len(), 18);
            for c in ID_CHECK {
                if !good.ends_with(c) {
                    let wrong = format!("{body}{c}");
                    prop_assert!(IdCardNumber::parse(&wrong).is_err());
                }
            }
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,30}") {
            let _ = IdCardNumber::parse(&s);
            let _ = MobileNumber::parse(&s);
        }
    }
}
