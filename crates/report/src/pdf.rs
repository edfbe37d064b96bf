//! The monthly report as an A4 PDF in Chinese with English beside it: cover, score table
//! with definitions and notes, the 12-month trend (line chart and table) and the lists of
//! complaints, emergencies, faults and praise.
//!
//! Text is set in WenQuanYi Micro Hei (the GBK subset in `crates/report/fonts`, built
//! in with `include_bytes!`); krilla embeds only the glyphs used (a CID font with a
//! ToUnicode map, so the text can be searched and copied). No network, no system fonts.
//!
//! Layout is done first into a display list of pages ([`Op`]), then drawn; widths are
//! measured from the font's advances.

use std::collections::{BTreeSet, HashMap};

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use rexian_assessment::IndicatorKind;

use crate::RecordTime;
use crate::ReportError;
use crate::document::{MonthlyReport, figure, percent};

/// WenQuanYi Micro Hei, ASCII + GBK (see `fonts/make-subset.sh`).
pub static FONT: &[u8] = include_bytes!("../fonts/wqy-microhei-gbk.ttf");

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 48.0;
const BOTTOM: f32 = PAGE_H - MARGIN - 14.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;

type Color = (u8, u8, u8);
const BLACK: Color = (0, 0, 0);
const GREY: Color = (110, 110, 110);
const RULE: Color = (150, 150, 150);
const HEAD_BG: Color = (221, 235, 247);
const BLUE: Color = (31, 90, 170);
const ORANGE: Color = (220, 110, 20);

/// One drawing operation; y grows downwards from the page's top, text at its baseline.
#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        color: Color,
        text: String,
    },
    Line {
        points: Vec<(f32, f32)>,
        width: f32,
        color: Color,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Color,
    },
}

/// Horizontal advances of the font, per character, in em.
struct Metrics {
    advances: HashMap<char, f32>,
}

impl Metrics {
    fn new() -> Self {
        Metrics {
            advances: read_advances(FONT).unwrap_or_default(),
        }
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| {
                self.advances
                    .get(&c)
                    .copied()
                    .unwrap_or(if c.is_ascii() { 0.55 } else { 1.0 })
            })
            .sum::<f32>()
            * size
    }
}

/// Reads the advance widths of the characters the font maps (cmap format 4, hmtx).
fn read_advances(data: &[u8]) -> Option<HashMap<char, f32>> {
    let u16_at =
        |o: usize| -> Option<u16> { data.get(o..o + 2).map(|b| u16::from_be_bytes([b[0], b[1]])) };
    let u32_at = |o: usize| -> Option<u32> {
        data.get(o..o + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let tables = usize::from(u16_at(4)?);
    let mut dir = HashMap::new();
    for i in 0..tables {
        let rec = 12 + 16 * i;
        let tag = data.get(rec..rec + 4)?;
        dir.insert(tag.to_vec(), u32_at(rec + 8)? as usize);
    }
    let head = *dir.get(&b"head"[..])?;
    let units = f32::from(u16_at(head + 18)?);
    let hhea = *dir.get(&b"hhea"[..])?;
    let metrics = usize::from(u16_at(hhea + 34)?);
    let hmtx = *dir.get(&b"hmtx"[..])?;
    let advance = |glyph: usize| -> Option<f32> {
        let g = glyph.min(metrics.saturating_sub(1));
        Some(f32::from(u16_at(hmtx + 4 * g)?) / units)
    };
    let cmap = *dir.get(&b"cmap"[..])?;
    let n = usize::from(u16_at(cmap + 2)?);
    let mut sub = None;
    for i in 0..n {
        let rec = cmap + 4 + 8 * i;
        let (platform, encoding) = (u16_at(rec)?, u16_at(rec + 2)?);
        let offset = cmap + u32_at(rec + 4)? as usize;
        if ((platform == 3 && encoding == 1) || platform == 0) && u16_at(offset)? == 4 {
            sub = Some(offset);
            break;
        }
    }
    let sub = sub?;
    let segments = usize::from(u16_at(sub + 6)? / 2);
    let ends = sub + 14;
    let starts = ends + 2 * segments + 2;
    let deltas = starts + 2 * segments;
    let range_offsets = deltas + 2 * segments;
    let mut out = HashMap::new();
    for s in 0..segments {
        let (start, end) = (u16_at(starts + 2 * s)?, u16_at(ends + 2 * s)?);
        let delta = u16_at(deltas + 2 * s)?;
        let range_offset = usize::from(u16_at(range_offsets + 2 * s)?);
        for code in start..=end {
            if code == 0xFFFF {
                break;
            }
            let glyph = if range_offset == 0 {
                code.wrapping_add(delta)
            } else {
                let at = range_offsets + 2 * s + range_offset + 2 * usize::from(code - start);
                match u16_at(at)? {
                    0 => 0,
                    g => g.wrapping_add(delta),
                }
            };
            if glyph != 0
                && let Some(c) = char::from_u32(u32::from(code))
            {
                out.insert(c, advance(usize::from(glyph))?);
            }
        }
    }
    Some(out)
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
    Center,
}

struct Column {
    width: f32,
    align: Align,
}

fn col(width: f32, align: Align) -> Column {
    Column { width, align }
}

/// Pages being laid out.
struct Layout<'m> {
    metrics: &'m Metrics,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'m> Layout<'m> {
    fn new(metrics: &'m Metrics) -> Self {
        Layout {
            metrics,
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Starts a new page unless `height` more fits on this one.
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.new_page();
        }
    }

    fn op(&mut self, op: Op) {
        if let Some(p) = self.pages.last_mut() {
            p.push(op);
        }
    }

    fn text_at(&mut self, x: f32, y: f32, size: f32, color: Color, text: &str) {
        if !text.is_empty() {
            self.op(Op::Text {
                x,
                y,
                size,
                color,
                text: text.to_owned(),
            });
        }
    }

    fn line(&mut self, points: Vec<(f32, f32)>, width: f32, color: Color) {
        self.op(Op::Line {
            points,
            width,
            color,
        });
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Color) {
        self.op(Op::Rect { x, y, w, h, color });
    }

    /// Breaks `text` into lines no wider than `width`: Chinese anywhere, Latin at spaces
    /// (a word wider than the line anywhere); `\n` always.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            let mut tokens: Vec<String> = Vec::new();
            let mut word = String::new();
            for c in para.chars() {
                if c.is_ascii() && c != ' ' {
                    word.push(c);
                } else {
                    if !word.is_empty() {
                        tokens.push(std::mem::take(&mut word));
                    }
                    tokens.push(c.to_string());
                }
            }
            if !word.is_empty() {
                tokens.push(word);
            }
            for t in tokens {
                let candidate = format!("{line}{t}");
                if self.metrics.width(&candidate, size) <= width || line.is_empty() {
                    if line.is_empty() && self.metrics.width(&t, size) > width {
                        for c in t.chars() {
                            let next = format!("{line}{c}");
                            if self.metrics.width(&next, size) > width && !line.is_empty() {
                                lines.push(std::mem::take(&mut line));
                                line.push(c);
                            } else {
                                line = next;
                            }
                        }
                    } else {
                        line = candidate;
                    }
                } else {
                    lines.push(line.trim_end().to_owned());
                    line = if t == " " { String::new() } else { t };
                }
            }
            lines.push(line.trim_end().to_owned());
        }
        lines
    }

    /// A paragraph across the content width at the current position.
    fn paragraph(&mut self, text: &str, size: f32, color: Color, indent: f32) {
        let lead = size * 1.45;
        for line in self.wrap(text, size, CONTENT_W - indent) {
            self.ensure(lead);
            self.y += lead;
            self.text_at(MARGIN + indent, self.y - size * 0.3, size, color, &line);
        }
    }

    fn heading(&mut self, text: &str) {
        self.ensure(60.0);
        self.y += 10.0;
        self.paragraph(text, 14.0, BLACK, 0.0);
        let y = self.y + 4.0;
        self.line(vec![(MARGIN, y), (PAGE_W - MARGIN, y)], 0.8, BLUE);
        self.y += 10.0;
    }

    fn centered(&mut self, text: &str, size: f32, color: Color) {
        let w = self.metrics.width(text, size);
        self.y += size * 1.6;
        self.text_at((PAGE_W - w) / 2.0, self.y, size, color, text);
    }

    /// A ruled table; rows that do not fit go to a new page under a repeated header.
    fn table(&mut self, cols: &[Column], head: &[String], rows: &[Vec<String>], size: f32) {
        let pad = 3.0;
        let lead = size * 1.3;
        let x0 = MARGIN;
        let total_w: f32 = cols.iter().map(|c| c.width).sum();
        let lines_of = |this: &Self, cells: &[String]| -> Vec<Vec<String>> {
            cells
                .iter()
                .zip(cols)
                .map(|(t, c)| this.wrap(t, size, c.width - 2.0 * pad))
                .collect()
        };
        let draw_row = |this: &mut Self, cells: Vec<Vec<String>>, header: bool| {
            let n = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = n as f32 * lead + 2.0 * pad;
            let top = this.y;
            if header {
                this.rect(x0, top, total_w, h, HEAD_BG);
            }
            let mut x = x0;
            for (lines, c) in cells.iter().zip(cols) {
                for (i, line) in lines.iter().enumerate() {
                    let w = this.metrics.width(line, size);
                    let tx = match (c.align, header) {
                        (Align::Center, _) | (_, true) => x + (c.width - w) / 2.0,
                        (Align::Right, _) => x + c.width - pad - w,
                        (Align::Left, _) => x + pad,
                    };
                    let ty = top + pad + (i as f32 + 1.0) * lead - size * 0.28;
                    this.text_at(tx, ty, size, BLACK, line);
                }
                x += c.width;
            }
            let bottom = top + h;
            this.line(vec![(x0, top), (x0 + total_w, top)], 0.5, RULE);
            this.line(vec![(x0, bottom), (x0 + total_w, bottom)], 0.5, RULE);
            let mut x = x0;
            this.line(vec![(x, top), (x, bottom)], 0.5, RULE);
            for c in cols {
                x += c.width;
                this.line(vec![(x, top), (x, bottom)], 0.5, RULE);
            }
            this.y = bottom;
        };
        let head_lines = lines_of(self, head);
        let head_h = head_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * lead + 2.0 * pad;
        self.ensure(head_h + lead + 2.0 * pad);
        draw_row(self, head_lines.clone(), true);
        for r in rows {
            let cells = lines_of(self, r);
            let h = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * lead + 2.0 * pad;
            if self.y + h > BOTTOM {
                self.new_page();
                draw_row(self, head_lines.clone(), true);
            }
            draw_row(self, cells, false);
        }
    }
}

/// Renders the report as a PDF.
pub fn to_pdf(report: &MonthlyReport) -> Result<Vec<u8>, ReportError> {
    let font = Font::new(FONT.into(), 0).ok_or_else(|| ReportError::Render {
        format: "pdf",
        message: "the embedded font cannot be read".into(),
    })?;
    let metrics = Metrics::new();
    let pages = layout(report, &metrics);
    render(report, &pages, &font, &metrics)
}

/// Characters of the report the embedded font cannot print (they would show as blanks):
/// the font subset needs remaking with them (`fonts/make-subset.sh`).
pub fn unprintable(report: &MonthlyReport) -> BTreeSet<char> {
    let metrics = Metrics::new();
    layout(report, &metrics)
        .iter()
        .flatten()
        .filter_map(|op| match op {
            Op::Text { text, .. } => Some(text.chars()),
            _ => None,
        })
        .flatten()
        .filter(|c| !metrics.advances.contains_key(c))
        .collect()
}

fn layout(r: &MonthlyReport, metrics: &Metrics) -> Vec<Vec<Op>> {
    let mut l = Layout::new(metrics);
    cover(&mut l, r);
    l.new_page();
    scores(&mut l, r);
    l.y += 10.0;
    l.ensure(320.0);
    trend(&mut l, r);
    for list in &r.lists {
        let a = &r.assessment;
        let name = a
            .indicators
            .iter()
            .find(|i| i.id == list.indicator)
            .map_or(String::new(), |i| i.name.clone());
        l.heading(&format!(
            "{}. {} — {}清单 {} ({})",
            list.indicator,
            name,
            list.title_zh,
            list.title_en,
            list.rows.len()
        ));
        if list.rows.is_empty() {
            l.paragraph("本期无记录 No records in the period.", 9.0, GREY, 0.0);
            l.y += 6.0;
            continue;
        }
        let counted = if list.indicator == 9 {
            "已核实 Verified"
        } else {
            "扣分 Deducted"
        };
        let head: Vec<String> = [
            "序号 No.",
            "记录 Record",
            "时间 Time",
            counted,
            "说明 Description",
        ]
        .map(str::to_owned)
        .to_vec();
        let rows: Vec<Vec<String>> = list
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                vec![
                    (i + 1).to_string(),
                    row.id.clone(),
                    match row.time {
                        Some(RecordTime::At(t)) => t.format("%Y-%m-%d %H:%M").to_string(),
                        Some(RecordTime::On(d)) => d.to_string(),
                        None => "-".into(),
                    },
                    if row.counted { "是 yes" } else { "否 no" }.into(),
                    row.description.clone(),
                ]
            })
            .collect();
        l.table(
            &[
                col(30.0, Align::Right),
                col(70.0, Align::Left),
                col(70.0, Align::Left),
                col(45.0, Align::Center),
                col(CONTENT_W - 215.0, Align::Left),
            ],
            &head,
            &rows,
            8.0,
        );
        l.y += 6.0;
    }
    l.pages
}

fn cover(l: &mut Layout, r: &MonthlyReport) {
    let a = &r.assessment;
    l.y = 150.0;
    l.centered(&r.platform_name, 20.0, BLACK);
    l.y += 14.0;
    l.centered("12345热线分平台考核月度报告", 26.0, BLACK);
    l.centered("Monthly assessment report", 14.0, GREY);
    l.y += 14.0;
    l.centered(
        &format!("{} ({})", a.period.label_zh(), a.period.label()),
        18.0,
        BLUE,
    );
    l.y += 50.0;
    let rows: Vec<Vec<String>> = vec![
        vec![
            "分平台 Sub-platform".into(),
            format!("{} ({})", r.platform_name, r.platform_code),
        ],
        vec![
            "考核期 Period".into(),
            format!("{} – {}", a.period.start(), a.period.last_day()),
        ],
        vec![
            "规则版本 Rules version".into(),
            format!("{} (自 from {})", a.rules_version, a.rules_effective_from),
        ],
        vec![
            "生成时间 Generated at".into(),
            format!(
                "{} (北京时间 Beijing)",
                r.generated_local().format("%Y-%m-%d %H:%M")
            ),
        ],
        vec!["总分 Total score".into(), format!("{:.2}", a.total)],
        vec![
            "付款比例 Payment ratio".into(),
            format!("{:.0}% ({})", a.payment_ratio * 100.0, a.payment_band),
        ],
    ];
    let head = vec!["项目 Item".to_owned(), "内容 Value".to_owned()];
    l.table(
        &[col(150.0, Align::Left), col(CONTENT_W - 150.0, Align::Left)],
        &head,
        &rows,
        11.0,
    );
    for n in &a.notes {
        l.y += 4.0;
        l.paragraph(&format!("注 Note: {n}"), 9.0, GREY, 0.0);
    }
    l.y = l.y.max(600.0);
    for line in [
        "编制人 Prepared by: ________________      日期 Date: ____________",
        "审核人 Reviewed by: ________________      日期 Date: ____________",
        "县政务服务管理办公室（盖章） County government service office (seal):",
        "负责人 Head: ________________      日期 Date: ____________",
    ] {
        l.y += 12.0;
        l.paragraph(line, 11.0, BLACK, 0.0);
    }
}

fn scores(l: &mut Layout, r: &MonthlyReport) {
    let a = &r.assessment;
    l.heading(&format!(
        "考核得分 Scores — {} {}",
        r.platform_name,
        a.period.label_zh()
    ));
    let head: Vec<String> = [
        "序号 No.",
        "指标 Indicator",
        "分子 Numer.",
        "分母 Denom.",
        "数值 Value",
        "目标 Target",
        "分值 Points",
        "得分 Score",
    ]
    .map(str::to_owned)
    .to_vec();
    let rows: Vec<Vec<String>> = a
        .indicators
        .iter()
        .map(|i| {
            let rate = i.kind == IndicatorKind::Rate;
            vec![
                i.id.to_string(),
                format!("{}\n{}", i.name, i.name_en),
                figure(i.numerator),
                figure(i.denominator),
                match i.value {
                    Some(v) if rate => percent(v),
                    Some(v) => figure(v),
                    None if i.no_data => "无数据 no data".into(),
                    None => "-".into(),
                },
                i.target.map_or_else(|| "-".into(), percent),
                figure(i.points),
                format!("{:.2}", i.score),
            ]
        })
        .chain([vec![
            String::new(),
            "总分 Total".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            format!("{:.2}", a.total),
        ]])
        .collect();
    l.table(
        &[
            col(32.0, Align::Right),
            col(171.0, Align::Left),
            col(48.0, Align::Right),
            col(48.0, Align::Right),
            col(52.0, Align::Right),
            col(48.0, Align::Right),
            col(48.0, Align::Right),
            col(CONTENT_W - 447.0, Align::Right),
        ],
        &head,
        &rows,
        9.0,
    );
    l.y += 6.0;
    l.paragraph(
        &format!(
            "付款比例 Payment ratio: {:.0}% ({})",
            a.payment_ratio * 100.0,
            a.payment_band
        ),
        10.0,
        BLACK,
        0.0,
    );
    l.heading("定义与说明 Definitions and notes");
    for (i, ind) in a.indicators.iter().enumerate() {
        l.ensure(40.0);
        l.paragraph(
            &format!("{}. {} {}", ind.id, ind.name, ind.name_en),
            10.0,
            BLACK,
            0.0,
        );
        if let Some(d) = r.definitions.get(i).filter(|d| !d.is_empty()) {
            l.paragraph(&format!("定义 Definition: {d}"), 8.5, GREY, 12.0);
        }
        if !ind.note.is_empty() {
            l.paragraph(&format!("说明 Note: {}", ind.note), 8.5, BLACK, 12.0);
        }
        l.y += 3.0;
    }
}

fn trend(l: &mut Layout, r: &MonthlyReport) {
    let a = &r.assessment;
    l.heading(&format!(
        "近12个月趋势 Trend of the last 12 months — {}",
        r.platform_name
    ));
    chart(l, r);
    let mut head = vec!["月份 Month".to_owned()];
    head.extend(a.indicators.iter().map(|i| format!("{} {}", i.id, i.name)));
    head.extend(["总分 Total".to_owned(), "接通率 Answer rate".to_owned()]);
    let rows: Vec<Vec<String>> = r
        .trend
        .iter()
        .map(|m| {
            let mut row = vec![m.period.label()];
            match &m.scored {
                Some(s) => {
                    row.extend(s.scores.iter().map(|x| format!("{x:.2}")));
                    row.push(format!("{:.2}", s.total));
                    row.push(s.answer_rate.map_or_else(|| "-".into(), percent));
                }
                None => {
                    row.extend((0..10).map(|_| "-".to_owned()));
                    row.push(m.note.clone());
                }
            }
            row
        })
        .collect();
    let mut cols = vec![col(46.0, Align::Left)];
    cols.extend((0..9).map(|_| col(38.0, Align::Right)));
    cols.push(col(46.0, Align::Right));
    cols.push(col(CONTENT_W - 46.0 - 9.0 * 38.0 - 46.0, Align::Right));
    l.table(&cols, &head, &rows, 7.0);
}

/// The total (left scale) and the answer rate (right scale, %) month by month; months
/// without a score leave a gap.
fn chart(l: &mut Layout, r: &MonthlyReport) {
    let (x0, x1) = (MARGIN + 34.0, PAGE_W - MARGIN - 34.0);
    let top = l.y + 24.0;
    let bottom = top + 190.0;
    let max_total = r
        .trend
        .iter()
        .filter_map(|m| m.scored.as_ref().map(|s| s.total))
        .fold(100.0f64, f64::max);
    // Five steps of a multiple of 5 points.
    let total_max = ((max_total / 25.0).ceil() * 25.0) as f32;
    // Legend.
    let ly = l.y + 10.0;
    l.line(vec![(x0, ly - 3.0), (x0 + 18.0, ly - 3.0)], 1.6, BLUE);
    l.text_at(x0 + 22.0, ly, 8.0, BLACK, "总分 Total (左轴 left)");
    l.line(
        vec![(x0 + 150.0, ly - 3.0), (x0 + 168.0, ly - 3.0)],
        1.6,
        ORANGE,
    );
    l.text_at(
        x0 + 172.0,
        ly,
        8.0,
        BLACK,
        "接通率 Answer rate (右轴 right, %)",
    );
    // Grid and scales.
    for step in 0..=5 {
        let f = step as f32 / 5.0;
        let y = bottom - f * (bottom - top);
        l.line(vec![(x0, y), (x1, y)], 0.3, RULE);
        let left = format!("{:.0}", total_max * f);
        let w = l.metrics.width(&left, 7.0);
        l.text_at(x0 - 4.0 - w, y + 2.5, 7.0, GREY, &left);
        l.text_at(x1 + 4.0, y + 2.5, 7.0, GREY, &format!("{:.0}%", f * 100.0));
    }
    l.line(vec![(x0, top), (x0, bottom)], 0.6, BLACK);
    l.line(vec![(x1, top), (x1, bottom)], 0.6, BLACK);
    let n = r.trend.len().max(1) as f32;
    let step = (x1 - x0) / n;
    let xs: Vec<f32> = (0..r.trend.len())
        .map(|i| x0 + step * (i as f32 + 0.5))
        .collect();
    for (m, x) in r.trend.iter().zip(&xs) {
        let label = m.period.label();
        let w = l.metrics.width(&label, 6.5);
        l.text_at(x - w / 2.0, bottom + 10.0, 6.5, BLACK, &label);
    }
    let series = |f: &dyn Fn(&crate::document::TrendScores) -> Option<f32>| -> Vec<Option<f32>> {
        r.trend
            .iter()
            .map(|m| m.scored.as_ref().and_then(f))
            .collect()
    };
    let totals = series(&|s| Some((s.total as f32 / total_max).clamp(0.0, 1.0)));
    let rates = series(&|s| s.answer_rate.map(|v| (v as f32).clamp(0.0, 1.0)));
    for (values, color) in [(totals, BLUE), (rates, ORANGE)] {
        let mut run: Vec<(f32, f32)> = Vec::new();
        for (v, x) in values.iter().zip(&xs) {
            match v {
                Some(v) => {
                    let y = bottom - v * (bottom - top);
                    l.rect(x - 1.8, y - 1.8, 3.6, 3.6, color);
                    run.push((*x, y));
                }
                None => {
                    if run.len() > 1 {
                        l.line(std::mem::take(&mut run), 1.6, color);
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            l.line(run, 1.6, color);
        }
    }
    l.y = bottom + 24.0;
}

fn fill(c: Color) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn render(
    r: &MonthlyReport,
    pages: &[Vec<Op>],
    font: &Font,
    metrics: &Metrics,
) -> Result<Vec<u8>, ReportError> {
    let a = &r.assessment;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!(
                "{} 考核月度报告 {}",
                r.platform_name,
                a.period.label_zh()
            ))
            .language("zh-CN".into())
            .creator("rexian".into()),
    );
    let total = pages.len();
    for (index, ops) in pages.iter().enumerate() {
        let mut page = doc.start_page_with(PageSettings::default());
        let mut surface = page.surface();
        let footer = format!(
            "{} · {} · 第 {} / {} 页 Page {} of {}",
            r.platform_name,
            a.period.label_zh(),
            index + 1,
            total,
            index + 1,
            total
        );
        let footer_op = Op::Text {
            x: (PAGE_W - metrics.width(&footer, 7.5)) / 2.0,
            y: PAGE_H - MARGIN + 16.0,
            size: 7.5,
            color: GREY,
            text: footer,
        };
        for op in ops.iter().chain([&footer_op]) {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    color,
                    text,
                } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(*color)));
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Line {
                    points,
                    width,
                    color,
                } => {
                    let mut pb = PathBuilder::new();
                    for (i, (x, y)) in points.iter().enumerate() {
                        if i == 0 {
                            pb.move_to(*x, *y);
                        } else {
                            pb.line_to(*x, *y);
                        }
                    }
                    if let Some(path) = pb.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(color.0, color.1, color.2).into(),
                            width: *width,
                            ..Default::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
                Op::Rect { x, y, w, h, color } => {
                    let mut pb = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                        pb.push_rect(rect);
                    }
                    if let Some(path) = pb.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(fill(*color)));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| ReportError::Render {
        format: "pdf",
        message: format!("{e:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_maps_chinese_and_ascii_with_sane_advances() {
        let adv = read_advances(FONT).expect("the font's cmap and hmtx read");
        // The reports' headings, and rare characters of names beyond GB2312 (GBK has them).
        for c in "考核得分趋势投诉应急故障表扬接通率喆堃犇".chars() {
            let w = adv.get(&c).copied();
            assert!(
                matches!(w, Some(w) if (0.8..=1.1).contains(&w)),
                "{c}: {w:?}"
            );
        }
        let a = adv[&'a'];
        assert!(a > 0.3 && a < 0.8, "{a}");
        assert!(adv[&'W'] > adv[&'i']);
    }

    #[test]
    fn wrapping_keeps_every_character_and_respects_the_width() {
        let m = Metrics {
            advances: read_advances(FONT).unwrap(),
        };
        let l = Layout::new(&m);
        let text = "投诉 complaint 2026-10-05 12:00:00 来电 caller 139****1234 坐席态度差，已核实 justified";
        let lines = l.wrap(text, 8.0, 90.0);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(m.width(line, 8.0) <= 90.0 + 0.01, "{line}");
        }
        let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
        let want: String = text.chars().filter(|c| *c != ' ').collect();
        assert_eq!(joined, want);
    }
}
