//! Excel (.xlsx) files for the staff and roster imports and exports: written with
//! `rust_xlsxwriter`, read with `calamine`. The same columns as the CSV (Chinese headers
//! first); dates are real Excel dates both ways, so a sheet edited in Excel imports back.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::csv_io::Table;
use crate::error::ApiError;

fn internal(e: rust_xlsxwriter::XlsxError) -> ApiError {
    tracing::error!(error = %e, "Excel export");
    ApiError::internal()
}

/// A one-sheet workbook: a bold header row, then `rows` as text, except the cells of
/// `date_columns` that hold a `2026-03-01` date, written as Excel dates.
pub fn write_xlsx(
    header: &[&str],
    rows: &[Vec<String>],
    date_columns: &[usize],
) -> Result<Vec<u8>, ApiError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = book.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| ApiError::internal())?;
        sheet
            .write_string_with_format(0, c, *h, &bold)
            .map_err(internal)?;
        sheet
            .set_column_width(c, if h.chars().count() > 4 { 14 } else { 12 })
            .map_err(internal)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| ApiError::internal())?;
        for (c, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let col = u16::try_from(c).map_err(|_| ApiError::internal())?;
            let date = date_columns
                .contains(&c)
                .then(|| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
                .flatten();
            match date {
                Some(d) => {
                    let (Ok(y), Ok(m), Ok(day)) = (
                        u16::try_from(d.year()),
                        u8::try_from(d.month()),
                        u8::try_from(d.day()),
                    ) else {
                        return Err(ApiError::internal());
                    };
                    let x = ExcelDateTime::from_ymd(y, m, day).map_err(internal)?;
                    sheet
                        .write_datetime_with_format(r, col, &x, &date_format)
                        .map_err(internal)?;
                }
                None => {
                    sheet.write_string(r, col, v).map_err(internal)?;
                }
            }
        }
    }
    book.save_to_buffer().map_err(internal)
}

/// The date of an Excel serial day number (1900 date system, days since 1899-12-30).
fn excel_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // Whole days only; a time of day is dropped.
    #[allow(clippy::cast_possible_truncation)]
    let days = serial.floor() as i64;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(days))
}

/// A cell as the text the CSV would hold: dates as `2026-03-01`, whole numbers without `.0`.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        #[allow(clippy::cast_possible_truncation)]
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (*f as i64).to_string(),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(x) => {
            excel_date(x.as_f64()).map_or_else(|| x.to_string(), |d| d.to_string())
        }
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_owned(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// The first sheet of an uploaded workbook as a table; rows numbered as Excel shows them.
pub fn read_xlsx(bytes: &[u8]) -> Result<Table, ApiError> {
    let not_xlsx = |e: calamine::XlsxError| {
        ApiError::invalid("file", format!("not an Excel .xlsx workbook: {e}"))
    };
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(not_xlsx)?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| ApiError::invalid("file", "the workbook has no sheet"))?
        .map_err(not_xlsx)?;
    let Some((first_row, first_col)) = range.start() else {
        return Err(ApiError::invalid("file", "the first sheet is empty"));
    };
    if first_col != 0 {
        return Err(ApiError::invalid(
            "file",
            "the columns must start in column A of the first sheet",
        ));
    }
    let mut rows = range.rows().enumerate().map(|(i, cells)| {
        (
            first_row as usize + i + 1,
            cells.iter().map(cell_text).collect::<Vec<_>>(),
        )
    });
    let (_, headers) = rows
        .next()
        .ok_or_else(|| ApiError::invalid("file", "the first sheet is empty"))?;
    Ok(Table {
        headers,
        rows: rows.collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serial_days() {
        assert_eq!(excel_date(46_082.0), NaiveDate::from_ymd_opt(2026, 3, 1));
        assert_eq!(excel_date(46_082.75), NaiveDate::from_ymd_opt(2026, 3, 1));
        assert_eq!(excel_date(-3.0), None);
    }

    #[test]
    fn written_dates_read_back_as_dates() {
        let book = write_xlsx(
            &["日期", "班次"],
            &[vec!["2026-03-01".into(), "night".into()]],
            &[0],
        )
        .unwrap();
        let t = read_xlsx(&book).unwrap();
        assert_eq!(t.headers, ["日期", "班次"]);
        assert_eq!(
            t.rows,
            [(2, vec!["2026-03-01".to_owned(), "night".to_owned()])]
        );
    }
}
