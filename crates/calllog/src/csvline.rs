//! One CDR line → its fields. Both PBXs write one record per line; a quoted string doubles
//! its quotes (`"""Alice"" <8001>"`). A line with an odd number of quotes is broken (a
//! truncated write), and is reported as such rather than swallowing the lines after it.

use std::io::{Cursor, SeekFrom};

use crate::error::LineErrorReason;

/// One csv reader reused for every line: building one compiles its state machine, which
/// would cost more than parsing the line.
pub(crate) struct CsvLineParser {
    reader: csv::Reader<Cursor<Vec<u8>>>,
    record: csv::ByteRecord,
}

impl Default for CsvLineParser {
    fn default() -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Cursor::new(Vec::new()));
        CsvLineParser {
            reader,
            record: csv::ByteRecord::new(),
        }
    }
}

impl CsvLineParser {
    pub(crate) fn fields(&mut self, line: &str) -> Result<Vec<String>, LineErrorReason> {
        if line.bytes().filter(|&b| b == b'"').count() % 2 != 0 {
            return Err(LineErrorReason::UnterminatedQuote);
        }
        let buffer = self.reader.get_mut().get_mut();
        buffer.clear();
        buffer.extend_from_slice(line.as_bytes());
        // Rewinds the source and resets the parser and its end-of-input flag.
        let rewound = self
            .reader
            .seek_raw(SeekFrom::Start(0), csv::Position::new());
        match rewound.and_then(|()| self.reader.read_byte_record(&mut self.record)) {
            Ok(true) => Ok(self
                .record
                .iter()
                .map(|field| String::from_utf8_lossy(field).into_owned())
                .collect()),
            // Reading from memory cannot fail, and a non-blank line always holds a record;
            // both arms are here so that nothing can panic.
            Ok(false) | Err(_) => Err(LineErrorReason::WrongColumnCount {
                found: 0,
                expected: "a CSV record".to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_and_bare_integers() {
        let mut parser = CsvLineParser::default();
        let f = parser
            .fields(r#""","8001","""Alice"" <8001>",,42,"a,b""#)
            .unwrap_or_default();
        assert_eq!(f, vec!["", "8001", "\"Alice\" <8001>", "", "42", "a,b"]);
    }

    #[test]
    fn the_reused_reader_forgets_the_previous_line() {
        let mut parser = CsvLineParser::default();
        assert_eq!(
            parser.fields("a,b,c").unwrap_or_default(),
            vec!["a", "b", "c"]
        );
        assert_eq!(parser.fields("\"d\"").unwrap_or_default(), vec!["d"]);
        assert_eq!(parser.fields("x,y").unwrap_or_default(), vec!["x", "y"]);
    }

    #[test]
    fn an_odd_quote_count_is_an_error() {
        let mut parser = CsvLineParser::default();
        assert_eq!(
            parser.fields(r#""abc,"def""#),
            Err(LineErrorReason::UnterminatedQuote)
        );
    }
}
