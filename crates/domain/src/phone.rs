//! Phone numbers of callers and staff. Personal information under Chinese law: stored in
//! full, shown masked everywhere a role does not need the whole number, never logged whole.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number as callers in China have them: an 11-digit mobile (1[3-9]xxxxxxxxx), a
/// landline with its area code (0898-12345678, 089812345678), or a short service number
/// (110, 12345, 95598). Stored as digits only, with a `+86`/`86`/`0086` prefix removed.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty / 电话号码为空")]
    Empty,
    #[error(
        "phone number may contain only digits, spaces, '-' and a leading '+' / 电话号码含非法字符"
    )]
    BadCharacter,
    #[error(
        "phone number has {0} digits; a mobile has 11, a landline with area code 10 to 12 / 电话号码位数不对"
    )]
    BadLength(usize),
    #[error("an 11-digit mobile number starts with 13 to 19 / 手机号码应以13至19开头")]
    BadMobilePrefix,
}

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut digits = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                '+' if i == 0 => {}
                _ => return Err(PhoneError::BadCharacter),
            }
        }
        let national = strip_country_code(&digits);
        let n = national.len();
        if n == 0 {
            return Err(PhoneError::Empty);
        }
        let ok = match national.as_bytes()[0] {
            b'1' if n == 11 => {
                if !(b'3'..=b'9').contains(&national.as_bytes()[1]) {
                    return Err(PhoneError::BadMobilePrefix);
                }
                true
            }
            // Service numbers: 110, 119, 120, 122, 12345, 95598 ...
            b'1' | b'9' => (3..=5).contains(&n),
            b'0' => (10..=12).contains(&n),
            _ => (7..=8).contains(&n),
        };
        if ok {
            Ok(Phone(national.to_owned()))
        } else {
            Err(PhoneError::BadLength(n))
        }
    }

    /// The full digits. Only for roles allowed to see them and for the telephony link.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// Masked form for lists and logs: a mobile keeps its first 3 and last 4 digits
    /// (138****5678), a landline its area code and last 2 digits, a service number stays.
    pub fn masked(&self) -> String {
        let d = &self.0;
        let n = d.len();
        if n <= 5 {
            return d.clone();
        }
        let (keep_head, keep_tail) = if n == 11 && d.starts_with('1') {
            (3, 4)
        } else if d.starts_with('0') {
            (
                if d.starts_with("01") || d.starts_with("02") {
                    3
                } else {
                    4
                },
                2,
            )
        } else {
            (0, 2)
        };
        let mut out = String::with_capacity(n);
        out.push_str(&d[..keep_head]);
        out.extend(std::iter::repeat_n('*', n - keep_head - keep_tail));
        out.push_str(&d[n - keep_tail..]);
        out
    }

    /// The last four digits, which a citizen gives to look up their order.
    pub fn last4(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }
}

fn strip_country_code(digits: &str) -> &str {
    for prefix in ["0086", "86"] {
        if let Some(rest) = digits.strip_prefix(prefix)
            && rest.len() == 11
            && rest.starts_with('1')
        {
            return rest;
        }
    }
    digits
}

/// Debug and Display mask, so a phone number cannot reach a log line by accident.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Phone::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_masks_the_usual_forms() {
        let cases = [
            ("13812345678", "13812345678", "138****5678"),
            ("+86 138 1234 5678", "13812345678", "138****5678"),
            ("0898-27721234", "089827721234", "0898******34"),
            ("010-12345678", "01012345678", "010******78"),
            ("12345", "12345", "12345"),
            ("27721234", "27721234", "******34"),
        ];
        for (input, digits, masked) in cases {
            let p = Phone::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(p.digits(), digits, "{input}");
            assert_eq!(p.masked(), masked, "{input}");
            assert_eq!(format!("{p:?}"), format!("Phone({masked})"));
        }
    }

    #[test]
    fn rejects_what_is_not_a_phone_number() {
        assert_eq!(Phone::parse(" "), Err(PhoneError::Empty));
        assert_eq!(Phone::parse("+ -"), Err(PhoneError::Empty));
        assert_eq!(Phone::parse("138abc"), Err(PhoneError::BadCharacter));
        assert_eq!(Phone::parse("1381234567"), Err(PhoneError::BadLength(10)));
        assert_eq!(
            Phone::parse("12812345678"),
            Err(PhoneError::BadMobilePrefix)
        );
        assert_eq!(Phone::parse("0898"), Err(PhoneError::BadLength(4)));
    }

    proptest! {
        #[test]
        fn masked_never_shows_the_middle_of_a_mobile(rest in "[3-9][0-9]{9}") {
            let p = Phone::parse(&format!("1{rest}")).unwrap();
            let m = p.masked();
            prop_assert_eq!(&m[3..7], "****");
            prop_assert_eq!(m.len(), 11);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = Phone::parse(&s);
        }
    }
}
