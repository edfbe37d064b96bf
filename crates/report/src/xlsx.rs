//! The monthly report as an Excel workbook: 封面 Cover, 得分 Scores, 趋势 Trend (table and a
//! native line chart of the total and the answer rate) and one sheet per listed indicator
//! (投诉 Complaints, 应急 Emergencies, 故障 Faults, 表扬 Praise). Figures are numbers,
//! rates formatted as percentages, times as Excel dates.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rexian_assessment::IndicatorKind;
use rust_xlsxwriter::{
    Chart, ChartType, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use crate::RecordTime;
use crate::ReportError;
use crate::document::MonthlyReport;

pub const COVER: &str = "封面 Cover";
pub const SCORES: &str = "得分 Scores";
pub const TREND: &str = "趋势 Trend";

/// The sheet name of a listed indicator's records, e.g. `投诉 Complaints`.
pub fn list_sheet(title_zh: &str, title_en: &str) -> String {
    format!("{title_zh} {title_en}")
}

fn err(e: XlsxError) -> ReportError {
    ReportError::Render {
        format: "xlsx",
        message: e.to_string(),
    }
}

fn date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)
}

fn datetime(t: NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    date(t.date())?.and_hms(t.hour() as u16, t.minute() as u8, t.second())
}

struct Formats {
    title: Format,
    head: Format,
    text: Format,
    wrap: Format,
    number: Format,
    percent: Format,
    date: Format,
    datetime: Format,
    month: Format,
    bold_number: Format,
}

impl Formats {
    fn new() -> Self {
        let cell = || Format::new().set_border(FormatBorder::Thin);
        Formats {
            title: Format::new().set_bold().set_font_size(16),
            head: cell()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_background_color(0xDDEBF7),
            text: cell(),
            wrap: cell().set_text_wrap().set_align(FormatAlign::Top),
            number: cell(),
            percent: cell().set_num_format("0.00%"),
            date: cell().set_num_format("yyyy-mm-dd"),
            datetime: cell().set_num_format("yyyy-mm-dd hh:mm"),
            month: cell().set_num_format("yyyy-mm"),
            bold_number: cell().set_bold().set_num_format("0.00"),
        }
    }
}

fn header(sheet: &mut Worksheet, row: u32, cells: &[&str], f: &Formats) -> Result<(), XlsxError> {
    for (c, h) in cells.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, *h, &f.head)?;
    }
    Ok(())
}

/// Renders the report as an .xlsx file.
pub fn to_xlsx(report: &MonthlyReport) -> Result<Vec<u8>, ReportError> {
    build(report).map_err(err)
}

fn build(r: &MonthlyReport) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut book = Workbook::new();
    cover(book.add_worksheet().set_name(COVER)?, r, &f)?;
    scores(book.add_worksheet().set_name(SCORES)?, r, &f)?;
    trend(book.add_worksheet().set_name(TREND)?, r, &f)?;
    for list in &r.lists {
        let sheet = book
            .add_worksheet()
            .set_name(list_sheet(list.title_zh, list.title_en))?;
        sheet.set_paper_size(9);
        let a = &r.assessment;
        let ind = a.indicators.iter().find(|i| i.id == list.indicator);
        sheet.write_string_with_format(
            0,
            0,
            format!(
                "{} {} 记录清单 records — {}",
                list.indicator,
                ind.map_or("", |i| i.name.as_str()),
                a.period.label_zh()
            ),
            &f.title,
        )?;
        let counted = if list.indicator == 9 {
            "已核实 Verified"
        } else {
            "扣分 Deducted"
        };
        header(
            sheet,
            2,
            &[
                "序号 No.",
                "记录 Record",
                "时间 Time",
                counted,
                "说明 Description",
            ],
            &f,
        )?;
        for (i, row) in list.rows.iter().enumerate() {
            let y = 3 + i as u32;
            sheet.write_number_with_format(y, 0, (i + 1) as f64, &f.number)?;
            sheet.write_string_with_format(y, 1, &row.id, &f.text)?;
            match row.time {
                Some(RecordTime::At(t)) => {
                    sheet.write_datetime_with_format(y, 2, datetime(t)?, &f.datetime)?;
                }
                Some(RecordTime::On(d)) => {
                    sheet.write_datetime_with_format(y, 2, date(d)?, &f.date)?;
                }
                None => {
                    sheet.write_string_with_format(y, 2, "-", &f.text)?;
                }
            }
            sheet.write_string_with_format(
                y,
                3,
                if row.counted { "是 yes" } else { "否 no" },
                &f.text,
            )?;
            sheet.write_string_with_format(y, 4, &row.description, &f.wrap)?;
        }
        if list.rows.is_empty() {
            sheet.write_string(3, 0, "本期无记录 No records in the period")?;
        }
        for (c, w) in [6.0, 16.0, 17.0, 12.0, 80.0].into_iter().enumerate() {
            sheet.set_column_width(c as u16, w)?;
        }
    }
    book.save_to_buffer()
}

fn cover(sheet: &mut Worksheet, r: &MonthlyReport, f: &Formats) -> Result<(), XlsxError> {
    let a = &r.assessment;
    sheet.set_paper_size(9);
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 44)?;
    sheet.write_string_with_format(0, 0, &r.platform_name, &f.title)?;
    sheet.write_string_with_format(
        1,
        0,
        "12345热线分平台考核月度报告 Monthly assessment report",
        &f.title,
    )?;
    let rows: [(&str, String); 4] = [
        (
            "分平台 Sub-platform",
            format!("{} ({})", r.platform_name, r.platform_code),
        ),
        (
            "考核期 Period",
            format!(
                "{} ({}, {} – {})",
                a.period.label_zh(),
                a.period.label(),
                a.period.start(),
                a.period.last_day()
            ),
        ),
        (
            "规则版本 Rules version",
            format!("{} (自 from {})", a.rules_version, a.rules_effective_from),
        ),
        ("付款档次 Payment band", a.payment_band.clone()),
    ];
    let mut y = 3;
    for (label, value) in rows {
        sheet.write_string_with_format(y, 0, label, &f.head)?;
        sheet.write_string_with_format(y, 1, value, &f.text)?;
        y += 1;
    }
    sheet.write_string_with_format(y, 0, "生成时间 Generated at (北京时间)", &f.head)?;
    sheet.write_datetime_with_format(y, 1, datetime(r.generated_local())?, &f.datetime)?;
    y += 1;
    sheet.write_string_with_format(y, 0, "总分 Total score", &f.head)?;
    sheet.write_number_with_format(y, 1, a.total, &f.bold_number)?;
    y += 1;
    sheet.write_string_with_format(y, 0, "付款比例 Payment ratio", &f.head)?;
    sheet.write_number_with_format(y, 1, a.payment_ratio, &f.percent)?;
    y += 1;
    for n in &a.notes {
        sheet.write_string_with_format(y, 0, "注 Note", &f.head)?;
        sheet.write_string_with_format(y, 1, n, &f.wrap)?;
        y += 1;
    }
    y += 2;
    for line in [
        "编制人 Prepared by: ____________    日期 Date: ____________",
        "审核人 Reviewed by: ____________    日期 Date: ____________",
        "县政务服务管理办公室（盖章） County government service office (seal):",
        "负责人 Head: ____________    日期 Date: ____________",
    ] {
        sheet.write_string(y, 0, line)?;
        y += 2;
    }
    Ok(())
}

fn scores(sheet: &mut Worksheet, r: &MonthlyReport, f: &Formats) -> Result<(), XlsxError> {
    let a = &r.assessment;
    sheet.set_paper_size(9).set_landscape();
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "{} 考核得分 Scores — {}",
            r.platform_name,
            a.period.label_zh()
        ),
        &f.title,
    )?;
    header(
        sheet,
        2,
        &[
            "序号 No.",
            "指标 Indicator",
            "Indicator",
            "定义 Definition",
            "分子 Numerator",
            "分母 Denominator",
            "数值 Value",
            "目标 Target",
            "分值 Points",
            "得分 Score",
            "说明 Note",
        ],
        f,
    )?;
    for (i, ind) in a.indicators.iter().enumerate() {
        let y = 3 + i as u32;
        let rate = ind.kind == IndicatorKind::Rate;
        sheet.write_number_with_format(y, 0, f64::from(ind.id), &f.number)?;
        sheet.write_string_with_format(y, 1, &ind.name, &f.wrap)?;
        sheet.write_string_with_format(y, 2, &ind.name_en, &f.wrap)?;
        sheet.write_string_with_format(
            y,
            3,
            r.definitions.get(i).map_or("", String::as_str),
            &f.wrap,
        )?;
        sheet.write_number_with_format(y, 4, ind.numerator, &f.number)?;
        sheet.write_number_with_format(y, 5, ind.denominator, &f.number)?;
        match ind.value {
            Some(v) if rate => sheet.write_number_with_format(y, 6, v, &f.percent)?,
            Some(v) => sheet.write_number_with_format(y, 6, v, &f.number)?,
            None if ind.no_data => {
                sheet.write_string_with_format(y, 6, "无数据 no data", &f.text)?
            }
            None => sheet.write_string_with_format(y, 6, "-", &f.text)?,
        };
        match ind.target {
            Some(t) => sheet.write_number_with_format(y, 7, t, &f.percent)?,
            None => sheet.write_string_with_format(y, 7, "-", &f.text)?,
        };
        sheet.write_number_with_format(y, 8, ind.points, &f.number)?;
        sheet.write_number_with_format(y, 9, ind.score, &f.bold_number)?;
        sheet.write_string_with_format(y, 10, &ind.note, &f.wrap)?;
    }
    let y = 3 + a.indicators.len() as u32;
    sheet.write_string_with_format(y, 1, "总分 Total", &f.head)?;
    sheet.write_number_with_format(y, 9, a.total, &f.bold_number)?;
    sheet.write_string_with_format(y + 1, 1, "付款比例 Payment ratio", &f.head)?;
    sheet.write_number_with_format(y + 1, 9, a.payment_ratio, &f.percent)?;
    for (c, w) in [6.0, 22.0, 22.0, 40.0, 10.0, 10.0, 11.0, 9.0, 9.0, 9.0, 50.0]
        .into_iter()
        .enumerate()
    {
        sheet.set_column_width(c as u16, w)?;
    }
    sheet.set_freeze_panes(3, 2)?;
    Ok(())
}

fn trend(sheet: &mut Worksheet, r: &MonthlyReport, f: &Formats) -> Result<(), XlsxError> {
    let a = &r.assessment;
    sheet.set_paper_size(9).set_landscape();
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "近12个月趋势 Trend of the last 12 months — {}",
            r.platform_name
        ),
        &f.title,
    )?;
    let mut heads = vec!["月份 Month".to_owned()];
    heads.extend(a.indicators.iter().map(|i| format!("{}. {}", i.id, i.name)));
    heads.extend([
        "总分 Total".to_owned(),
        "接通率 Answer rate".to_owned(),
        "说明 Note".to_owned(),
    ]);
    let heads: Vec<&str> = heads.iter().map(String::as_str).collect();
    header(sheet, 2, &heads, f)?;
    let (total_col, rate_col, note_col) = (10u16, 11u16, 12u16);
    for (i, m) in r.trend.iter().enumerate() {
        let y = 3 + i as u32;
        sheet.write_datetime_with_format(y, 0, date(m.period.start())?, &f.month)?;
        match &m.scored {
            Some(s) => {
                for (c, score) in s.scores.iter().enumerate() {
                    sheet.write_number_with_format(y, 1 + c as u16, *score, &f.number)?;
                }
                sheet.write_number_with_format(y, total_col, s.total, &f.bold_number)?;
                match s.answer_rate {
                    Some(v) => sheet.write_number_with_format(y, rate_col, v, &f.percent)?,
                    None => sheet.write_string_with_format(y, rate_col, "-", &f.text)?,
                };
            }
            None => {
                for c in 1..=rate_col {
                    sheet.write_blank(y, c, &f.text)?;
                }
            }
        }
        sheet.write_string_with_format(y, note_col, &m.note, &f.text)?;
    }
    let (first, last) = (3u32, 3 + r.trend.len() as u32 - 1);
    let mut chart = Chart::new(ChartType::Line);
    chart
        .add_series()
        .set_name("总分 Total")
        .set_categories((TREND, first, 0, last, 0))
        .set_values((TREND, first, total_col, last, total_col));
    chart
        .add_series()
        .set_name("接通率 Answer rate")
        .set_categories((TREND, first, 0, last, 0))
        .set_values((TREND, first, rate_col, last, rate_col))
        .set_secondary_axis(true);
    chart
        .title()
        .set_name("总分与接通率 Total score and answer rate");
    chart.x_axis().set_num_format("yyyy-mm");
    chart.y_axis().set_name("总分 Total");
    chart
        .y2_axis()
        .set_name("接通率 Answer rate")
        .set_num_format("0%");
    sheet.insert_chart(last + 2, 0, &chart)?;
    sheet.set_column_width(0, 10)?;
    for c in 1..=rate_col {
        sheet.set_column_width(c, 11)?;
    }
    sheet.set_column_width(note_col, 24)?;
    Ok(())
}
