//! CSV import and export of staff and rosters. Exports are UTF-8 with a byte-order mark, so
//! Excel on Chinese Windows opens them without garbling; imports accept the same files (BOM
//! optional, headers in Chinese or as the English codes), all rows or none.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rexian_domain::Permission;
use rexian_operations::ids::StaffId;
use rexian_operations::roster::RosterEntry;
use rexian_operations::staff::{IdCardNumber, Language, LeaveReason, MobileNumber, Position};
use rexian_operations::time::DateRange;
use rexian_store::operations::{NewStaff, RosterEntryRecord, StaffDetails, StaffRecord};
use serde::Serialize;
use utoipa::ToSchema;

use super::{PeriodQuery, RULES, ctx};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Authed, perm};

pub const BOM: &str = "\u{feff}";

/// Staff columns: (code, Chinese header).
const STAFF_COLUMNS: [(&str, &str); 11] = [
    ("code", "工号"),
    ("name", "姓名"),
    ("position", "岗位"),
    ("start", "入职日期"),
    ("certified_on", "独立上机日期"),
    ("last_day", "离职日期"),
    ("leave_reason", "离职原因"),
    ("languages", "语言"),
    ("skills", "技能"),
    ("id_card", "身份证号"),
    ("mobile", "手机号"),
];

const ROSTER_COLUMNS: [(&str, &str); 4] = [
    ("date", "日期"),
    ("shift", "班次"),
    ("code", "工号"),
    ("name", "姓名"),
];

fn file_response(filename: &str, format: FileFormat, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A sheet as a file: CSV with the BOM, or a workbook with `date_columns` as Excel dates.
fn write_file(
    format: FileFormat,
    header: &[&str],
    rows: Vec<Vec<String>>,
    date_columns: &[usize],
) -> Result<Vec<u8>, ApiError> {
    match format {
        FileFormat::Csv => Ok(format!("{BOM}{}", write_rows(header, rows)?).into_bytes()),
        FileFormat::Xlsx => super::xlsx_io::write_xlsx(header, &rows, date_columns),
    }
}

fn write_rows(header: &[&str], rows: Vec<Vec<String>>) -> Result<String, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| {
        tracing::error!(error = %e, "CSV export");
        ApiError::internal()
    };
    w.write_record(header).map_err(fail)?;
    for r in rows {
        w.write_record(&r).map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| fail(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|_| ApiError::internal())
}

/// The table of an uploaded file: `text/csv` (UTF-8, BOM optional) or an Excel workbook.
fn upload_table(headers: &HeaderMap, body: &Bytes) -> Result<Table, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase())
        .unwrap_or_default();
    let format = if ct.starts_with("text/csv") {
        FileFormat::Csv
    } else if ct.starts_with(XLSX_TYPE) {
        FileFormat::Xlsx
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the file with `Content-Type: text/csv` or `{XLSX_TYPE}`"),
        ));
    };
    read_table(format, body)
}

/// One data row: its line number in the file, and (column code, trimmed value) pairs.
type Row = (usize, Vec<(&'static str, String)>);

/// An uploaded sheet before validation: the header row, then each data row with its row
/// number in the file (the header is row 1), cells as text (dates as `2026-03-01`).
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// The format of an import or export file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// UTF-8 CSV (with a BOM on export).
    Csv,
    /// Excel workbook (.xlsx), first sheet.
    Xlsx,
}

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl FileFormat {
    /// `csv` or `xlsx` (a file extension or a `--format` value), any case.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// By the file name's extension.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::from_name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => XLSX_TYPE,
        }
    }
}

/// Reads an uploaded file of `format` into a table (CSV: UTF-8, BOM optional).
pub fn read_table(format: FileFormat, bytes: &[u8]) -> Result<Table, ApiError> {
    match format {
        FileFormat::Xlsx => super::xlsx_io::read_xlsx(bytes),
        FileFormat::Csv => {
            let text = std::str::from_utf8(bytes).map_err(|_| {
                ApiError::invalid(
                    "file",
                    "the file is not UTF-8; in Excel save it as \"CSV UTF-8 (逗号分隔)\" or as .xlsx",
                )
            })?;
            csv_table(text.strip_prefix(BOM).unwrap_or(text))
        }
    }
}

/// A CSV text (BOM removed) as a table.
pub fn csv_table(text: &str) -> Result<Table, ApiError> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = r
        .headers()
        .map_err(|e| ApiError::invalid("file", format!("cannot read the header row: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| ApiError::invalid(&format!("row {line}"), e.to_string()))?;
        rows.push((line, rec.iter().map(str::to_owned).collect()));
    }
    Ok(Table { headers, rows })
}

/// Rows as maps from column code to trimmed value; unknown headers are refused.
fn read_rows(
    table: &Table,
    columns: &[(&'static str, &'static str)],
    required: &[&str],
) -> Result<Vec<Row>, ApiError> {
    let mut map = Vec::new();
    for h in &table.headers {
        let h = h.trim();
        if h.is_empty() {
            // Empty header cells, as spreadsheets leave them: the column is ignored.
            map.push("");
            continue;
        }
        let col = columns
            .iter()
            .find(|(code, zh)| h.eq_ignore_ascii_case(code) || h == *zh)
            .ok_or_else(|| {
                ApiError::invalid(
                    "file",
                    format!(
                        "unknown column `{h}`; the columns are {}",
                        columns
                            .iter()
                            .map(|(c, z)| format!("{z} ({c})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        map.push(col.0);
    }
    for req in required {
        if !map.contains(req) {
            let zh = columns.iter().find(|(c, _)| c == req).map_or("", |c| c.1);
            return Err(ApiError::invalid(
                "file",
                format!("the column {zh} ({req}) is missing"),
            ));
        }
    }
    let mut rows = Vec::new();
    for (line, rec) in &table.rows {
        if rec.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let values = map
            .iter()
            .zip(rec.iter())
            .filter(|(c, _)| !c.is_empty())
            .map(|(c, v)| (*c, v.trim().to_owned()))
            .collect();
        rows.push((*line, values));
    }
    if rows.is_empty() {
        return Err(ApiError::invalid("file", "no rows below the header"));
    }
    if rows.len() > 1000 {
        return Err(ApiError::invalid("file", "at most 1000 rows at once"));
    }
    Ok(rows)
}

fn get<'a>(row: &'a [(&'static str, String)], col: &str) -> Option<&'a str> {
    row.iter()
        .find(|(c, _)| *c == col)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn bad(line: usize, col: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid(&format!("row {line}: {col}"), message)
}

/// `2026-03-01` or, as Excel writes it, `2026/3/1`.
fn parse_date(line: usize, col: &str, v: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%Y/%m/%d"))
        .map_err(|_| bad(line, col, format!("`{v}` is not a date like 2026-03-01")))
}

fn coded<T: Copy>(
    line: usize,
    col: &str,
    v: &str,
    all: &[T],
    code: impl Fn(T) -> &'static str,
    zh: impl Fn(T) -> &'static str,
) -> Result<T, ApiError> {
    all.iter()
        .copied()
        .find(|x| code(*x) == v || zh(*x) == v)
        .ok_or_else(|| {
            let options: Vec<String> = all
                .iter()
                .map(|x| format!("{} ({})", zh(*x), code(*x)))
                .collect();
            bad(
                line,
                col,
                format!("`{v}` is not one of {}", options.join(", ")),
            )
        })
}

fn split_list(v: Option<&str>) -> Vec<String> {
    v.map(|v| {
        v.split([';', '；', '、', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// Staff records as CSV (UTF-8 with BOM), the latest employment of each person. ID card and
/// mobile are in full only for managers.
#[utoipa::path(get, path = "/api/v1/staff/export.csv", tag = "operations",
    security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 403, body = ErrorBody)))]
pub async fn export_staff(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
) -> ApiResult<Response> {
    export_staff_as(state, auth, FileFormat::Csv).await
}

/// Staff records as an Excel workbook: the CSV's columns, dates as Excel dates.
#[utoipa::path(get, path = "/api/v1/staff/export.xlsx", tag = "operations",
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
              (status = 403, body = ErrorBody)))]
pub async fn export_staff_xlsx(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
) -> ApiResult<Response> {
    export_staff_as(state, auth, FileFormat::Xlsx).await
}

async fn export_staff_as(
    state: AppState,
    auth: Authed<perm::ViewOperations>,
    format: FileFormat,
) -> ApiResult<Response> {
    let full = auth.user.role.can(Permission::ViewStaffPersonalData);
    let records = state.store.staff_records(auth.platform_id()).await?;
    let name = match format {
        FileFormat::Csv => "staff.csv",
        FileFormat::Xlsx => "staff.xlsx",
    };
    Ok(file_response(
        name,
        format,
        staff_file(&records, full, format)?,
    ))
}

/// Staff records as a file of `format` (CSV with its BOM).
pub fn staff_file(
    records: &[StaffRecord],
    full: bool,
    format: FileFormat,
) -> Result<Vec<u8>, ApiError> {
    let header: Vec<&str> = STAFF_COLUMNS.iter().map(|c| c.1).collect();
    write_file(format, &header, staff_rows(records, full), &[3, 4, 5])
}

/// Staff records as CSV text (without the BOM); ID card and mobile in full when `full`.
pub fn staff_csv(records: &[StaffRecord], full: bool) -> Result<String, ApiError> {
    let header: Vec<&str> = STAFF_COLUMNS.iter().map(|c| c.1).collect();
    write_rows(&header, staff_rows(records, full))
}

fn staff_rows(records: &[StaffRecord], full: bool) -> Vec<Vec<String>> {
    records
        .iter()
        .map(|r| {
            let s = &r.staff;
            let spell = s.employment.last();
            let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            vec![
                r.code.clone(),
                s.name.clone(),
                s.position.label_zh().to_owned(),
                date(spell.map(|p| p.start)),
                date(spell.and_then(|p| p.certified_on)),
                date(spell.and_then(|p| p.last_day())),
                spell
                    .and_then(|p| p.end.as_ref())
                    .map(|e| e.reason.label_zh().to_owned())
                    .unwrap_or_default(),
                s.languages
                    .iter()
                    .map(|l| l.label_zh())
                    .collect::<Vec<_>>()
                    .join(";"),
                s.skills.join(";"),
                s.id_card
                    .as_ref()
                    .map(|c| {
                        if full {
                            c.as_str().to_owned()
                        } else {
                            c.masked()
                        }
                    })
                    .unwrap_or_default(),
                s.mobile
                    .as_ref()
                    .map(|m| {
                        if full {
                            m.as_str().to_owned()
                        } else {
                            m.masked()
                        }
                    })
                    .unwrap_or_default(),
            ]
        })
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct Imported {
    /// How many rows were stored.
    imported: usize,
}

/// Imports staff from CSV or Excel (managers): the columns of the export; code, name, position and
/// start are required. All rows are stored or none; an error names the row and column.
#[utoipa::path(post, path = "/api/v1/staff/import", tag = "operations",
    security(("bearer" = [])),
    request_body(content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 201, body = Imported), (status = 409, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_staff(
    State(state): State<AppState>,
    auth: Authed<perm::ManageStaff>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Imported>)> {
    let table = upload_table(&headers, &body)?;
    let (news, lines) = parse_staff(&table)?;
    let stored = state
        .store
        .import_staff(&ctx(&auth, &state), &news)
        .await
        .map_err(|(i, e)| {
            let mut err: ApiError = e.into();
            let line = lines.get(i).copied().unwrap_or(0);
            err.message = format!("row {line}: {}", err.message);
            err.field = Some(format!(
                "row {line}{}",
                err.field.map(|f| format!(": {f}")).unwrap_or_default()
            ));
            err
        })?;
    Ok((
        StatusCode::CREATED,
        Json(Imported {
            imported: stored.len(),
        }),
    ))
}

/// Parses a staff CSV (the export's columns; BOM already removed) into new staff records,
/// with the file line of each.
pub fn parse_staff_csv(text: &str) -> Result<(Vec<NewStaff>, Vec<usize>), ApiError> {
    parse_staff(&csv_table(text)?)
}

/// Parses a staff sheet (CSV or Excel, the export's columns) into new staff records, with
/// the file row of each.
pub fn parse_staff(table: &Table) -> Result<(Vec<NewStaff>, Vec<usize>), ApiError> {
    let rows = read_rows(
        table,
        &STAFF_COLUMNS,
        &["code", "name", "position", "start"],
    )?;
    let mut news = Vec::with_capacity(rows.len());
    let mut lines = Vec::with_capacity(rows.len());
    for (line, row) in &rows {
        let line = *line;
        let need = |col: &str| get(row, col).ok_or_else(|| bad(line, col, "is empty"));
        let position = coded(
            line,
            "position",
            need("position")?,
            Position::ALL,
            Position::code,
            Position::label_zh,
        )?;
        let start = parse_date(line, "start", need("start")?)?;
        let certified_on = get(row, "certified_on")
            .map(|v| parse_date(line, "certified_on", v))
            .transpose()?;
        let left = match (get(row, "last_day"), get(row, "leave_reason")) {
            (None, None) => None,
            (Some(d), Some(r)) => Some((
                parse_date(line, "last_day", d)?,
                coded(
                    line,
                    "leave_reason",
                    r,
                    LeaveReason::ALL,
                    LeaveReason::code,
                    LeaveReason::label_zh,
                )?,
            )),
            (Some(_), None) => return Err(bad(line, "leave_reason", "give the reason too")),
            (None, Some(_)) => return Err(bad(line, "last_day", "give the last day too")),
        };
        let mut languages = Vec::new();
        for l in split_list(get(row, "languages")) {
            languages.push(coded(
                line,
                "languages",
                &l,
                Language::ALL,
                Language::code,
                Language::label_zh,
            )?);
        }
        let id_card = get(row, "id_card")
            .map(IdCardNumber::parse)
            .transpose()
            .map_err(|e| bad(line, "id_card", e.to_string()))?;
        let mobile = get(row, "mobile")
            .map(MobileNumber::parse)
            .transpose()
            .map_err(|e| bad(line, "mobile", e.to_string()))?;
        news.push(NewStaff {
            code: need("code")?.to_owned(),
            name: need("name")?.to_owned(),
            position,
            start,
            certified_on,
            left,
            details: StaffDetails {
                languages: (!languages.is_empty()).then_some(languages),
                skills: Some(split_list(get(row, "skills"))),
                id_card,
                mobile,
                ..StaffDetails::default()
            },
        });
        lines.push(line);
    }
    Ok((news, lines))
}

/// The planned roster of a period as CSV (UTF-8 with BOM): date, shift, staff code, name.
#[utoipa::path(get, path = "/api/v1/roster/export.csv", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 403, body = ErrorBody)))]
pub async fn export_roster(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Response> {
    export_roster_as(state, auth, q, FileFormat::Csv).await
}

/// The planned roster of a period as an Excel workbook, dates as Excel dates.
#[utoipa::path(get, path = "/api/v1/roster/export.xlsx", tag = "operations",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
              (status = 403, body = ErrorBody)))]
pub async fn export_roster_xlsx(
    State(state): State<AppState>,
    auth: Authed<perm::ViewOperations>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Response> {
    export_roster_as(state, auth, q, FileFormat::Xlsx).await
}

async fn export_roster_as(
    state: AppState,
    auth: Authed<perm::ViewOperations>,
    q: PeriodQuery,
    format: FileFormat,
) -> ApiResult<Response> {
    let period = q.range(&state)?;
    let last = period.last_day().unwrap_or(period.from);
    let w = state
        .store
        .roster(auth.platform_id(), period.from, last)
        .await?;
    let people = state.store.staff_records(auth.platform_id()).await?;
    let name = match format {
        FileFormat::Csv => "roster.csv",
        FileFormat::Xlsx => "roster.xlsx",
    };
    Ok(file_response(
        name,
        format,
        roster_file(&w.entries, &people, period, format)?,
    ))
}

/// The roster entries of `period` as a file of `format` (CSV with its BOM).
pub fn roster_file(
    entries: &[RosterEntryRecord],
    people: &[StaffRecord],
    period: DateRange,
    format: FileFormat,
) -> Result<Vec<u8>, ApiError> {
    let header: Vec<&str> = ROSTER_COLUMNS.iter().map(|c| c.1).collect();
    write_file(format, &header, roster_rows(entries, people, period), &[0])
}

/// The roster entries of `period` as CSV text (without the BOM), by day and shift.
pub fn roster_csv(
    entries: &[RosterEntryRecord],
    people: &[StaffRecord],
    period: DateRange,
) -> Result<String, ApiError> {
    let header: Vec<&str> = ROSTER_COLUMNS.iter().map(|c| c.1).collect();
    write_rows(&header, roster_rows(entries, people, period))
}

fn roster_rows(
    entries: &[RosterEntryRecord],
    people: &[StaffRecord],
    period: DateRange,
) -> Vec<Vec<String>> {
    let shift_order = |code: &str| RULES.roster.shifts.0.iter().position(|s| s.code == code);
    let mut entries: Vec<&RosterEntryRecord> = entries
        .iter()
        .filter(|e| period.contains(e.entry.date))
        .collect();
    entries.sort_by_key(|e| (e.entry.date, shift_order(&e.entry.shift), e.entry.staff_id));
    entries
        .iter()
        .map(|e| {
            let person = people.iter().find(|p| p.staff.id == e.entry.staff_id);
            vec![
                e.entry.date.to_string(),
                e.entry.shift.clone(),
                person.map(|p| p.code.clone()).unwrap_or_default(),
                person.map(|p| p.staff.name.clone()).unwrap_or_default(),
            ]
        })
        .collect()
}

/// Imports roster entries from CSV or Excel (managers): date, shift (code or Chinese name), staff
/// code; a name column is ignored. All rows are stored or none.
#[utoipa::path(post, path = "/api/v1/roster/import", tag = "operations",
    security(("bearer" = [])),
    request_body(content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 201, body = Imported), (status = 409, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_roster(
    State(state): State<AppState>,
    auth: Authed<perm::ManageRoster>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Imported>)> {
    let table = upload_table(&headers, &body)?;
    let people = state.store.staff_records(auth.platform_id()).await?;
    let entries = parse_roster(&table, &people)?;
    let added = state
        .store
        .add_roster_entries(&ctx(&auth, &state), &entries, &RULES.roster.shifts)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Imported {
            imported: added.len(),
        }),
    ))
}

/// Parses a roster CSV (date, shift, staff code) into entries, staff found by code.
pub fn parse_roster_csv(text: &str, people: &[StaffRecord]) -> Result<Vec<RosterEntry>, ApiError> {
    parse_roster(&csv_table(text)?, people)
}

/// Parses a roster sheet (CSV or Excel: date, shift, staff code) into entries.
pub fn parse_roster(table: &Table, people: &[StaffRecord]) -> Result<Vec<RosterEntry>, ApiError> {
    let rows = read_rows(table, &ROSTER_COLUMNS, &["date", "shift", "code"])?;
    let mut entries = Vec::with_capacity(rows.len());
    for (line, row) in &rows {
        let line = *line;
        let need = |col: &str| get(row, col).ok_or_else(|| bad(line, col, "is empty"));
        let date = parse_date(line, "date", need("date")?)?;
        let shift_in = need("shift")?;
        let shift = RULES
            .roster
            .shifts
            .0
            .iter()
            .find(|s| s.code == shift_in || s.name_zh == shift_in)
            .ok_or_else(|| bad(line, "shift", format!("no shift `{shift_in}`")))?;
        let code = need("code")?;
        let person = people
            .iter()
            .find(|p| p.code == code)
            .ok_or_else(|| bad(line, "code", format!("no staff record with code `{code}`")))?;
        entries.push(RosterEntry {
            staff_id: StaffId(person.staff.id.0),
            date,
            shift: shift.code.clone(),
        });
    }
    Ok(entries)
}
