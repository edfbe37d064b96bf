//! Small helpers shared by the modules.

/// Implements `code()`, `from_code()`, `label_zh()`, `label_en()` and `ALL` for a fieldless
/// enum from one table, so the four never drift apart.
macro_rules! coded_enum {
    ($ty:ident { $($variant:ident => ($code:literal, $zh:literal, $en:literal)),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// Stable machine code, as stored and as sent in the API (equal to the serde name).
            pub fn code(self) -> &'static str {
                match self { $($ty::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<$ty> {
                match code { $($code => Some($ty::$variant),)+ _ => None }
            }

            /// The name a county user sees.
            pub fn label_zh(self) -> &'static str {
                match self { $($ty::$variant => $zh),+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($ty::$variant => $en),+ }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
