//! Drawing a burn series as SVG with plotters' SVG backend. Text is written as SVG `<text>`
//! for the viewer to render (no font files are read on the server). The series' exact
//! decimals become plotting coordinates in [`coordinate`] and nowhere else.

use super::format;
use super::series::{BurnPoint, BurnSeries};
use crate::error::{AppError, AppResult};
use crate::ledger::forecast::Month;
use crate::money::Currency;
use plotters::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// The chart's size in pixels.
pub const SIZE: (u32, u32) = (960, 420);

const BUDGET: RGBColor = RGBColor(59, 110, 165);
const SPENT: RGBColor = RGBColor(214, 110, 0);
const ACTUAL: RGBColor = RGBColor(22, 128, 61);
const RUN_OUT: RGBColor = RGBColor(192, 57, 43);
const GRID: RGBColor = RGBColor(120, 120, 120);

/// A plotting coordinate: plotters draws in binary doubles.
type Coordinate = f64; // allow-float: chart coordinate

/// The plotting coordinate of an exact amount. The only place a chart figure becomes a float.
fn coordinate(value: Decimal) -> Coordinate {
    value.to_f64().unwrap_or(0.0) // allow-float: chart coordinate
}

fn month_label(month: Month) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = NAMES[usize::try_from(month.month().saturating_sub(1)).unwrap_or(0) % 12];
    format!("{name} {}", month.year())
}

/// An axis tick: whole currency units, grouped (`€12,000`).
fn axis_label(tick: &Coordinate, currency: Currency) -> String {
    let whole = format!("{tick:.0}"); // allow-float: a tick of the chart coordinate, shown
    let grouped = format::group_digits(&whole);
    match grouped.strip_prefix('-') {
        Some(positive) if positive.trim_matches(['0', ',']).is_empty() => {
            format!("{}0", currency.symbol())
        }
        Some(positive) => format!("-{}{positive}", currency.symbol()),
        None => format!("{}{grouped}", currency.symbol()),
    }
}

fn draw_error(error: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("drawing the chart: {error}"))
}

/// The burn chart of `series` in `currency`, titled `title`, as an SVG document.
pub fn svg(series: &BurnSeries, currency: Currency, title: &str) -> AppResult<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        if series.points.is_empty() {
            root.draw(&Text::new(
                format!("{title}: no dates, budget or spending to chart yet"),
                (24, 40),
                ("sans-serif", 16).into_font().color(&BLACK),
            ))
            .map_err(draw_error)?;
            root.present().map_err(draw_error)?;
        } else {
            draw(&root, series, currency, title)?;
        }
    }
    Ok(out)
}

fn index_of(series: &BurnSeries, month: Month) -> Option<i32> {
    let first = series.points.first()?.month;
    let last = series.points.last()?.month;
    (first..=last)
        .contains(&month)
        .then(|| i32::try_from(first.months_until(month)).ok())
        .flatten()
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    series: &BurnSeries,
    currency: Currency,
    title: &str,
) -> AppResult<()> {
    let points = &series.points;
    let last_index = i32::try_from(points.len().saturating_sub(1)).unwrap_or(i32::MAX);
    let values = points
        .iter()
        .flat_map(|p| [Some(p.budget), p.actual, p.spent, p.forecast])
        .flatten()
        .chain([series.eac, series.budget]);
    let (mut low, mut high) = (Decimal::ZERO, Decimal::ZERO);
    for v in values {
        low = low.min(v);
        high = high.max(v);
    }
    let (low, high) = (coordinate(low), coordinate(high));
    let span = if high - low > 0.0 { high - low } else { 1.0 };
    let y_range = (low - span * 0.02)..(high + span * 0.08);
    let x_start = -0.3f64;
    let x_range = x_start..(Coordinate::from(last_index.max(1)) + 0.3);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 18).into_font())
        .margin(14)
        .x_label_area_size(34)
        .y_label_area_size(96)
        .build_cartesian_2d(x_range, y_range.clone())
        .map_err(draw_error)?;
    let month_at = |x: &Coordinate| -> String {
        let i = x.round();
        if (x - i).abs() > 0.01 || i < 0.0 {
            return String::new();
        }
        points
            .get(i as usize)
            .map(|p| month_label(p.month))
            .unwrap_or_default()
    };
    let label_currency = |v: &Coordinate| axis_label(v, currency);
    chart
        .configure_mesh()
        .x_labels(points.len().clamp(2, 12))
        .x_label_formatter(&month_at)
        .y_labels(8)
        .y_label_formatter(&label_currency)
        .y_desc(format!("{} ({})", currency.code(), currency.symbol()))
        .light_line_style(WHITE)
        .bold_line_style(GRID.mix(0.2))
        .axis_desc_style(("sans-serif", 13))
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(draw_error)?;
    let line = |select: fn(&BurnPoint) -> Option<Decimal>| -> Vec<(Coordinate, Coordinate)> {
        points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| select(p).map(|v| (i as Coordinate, coordinate(v))))
            .collect()
    };
    chart
        .draw_series(LineSeries::new(
            line(|p| Some(p.budget)),
            BUDGET.stroke_width(3),
        ))
        .map_err(draw_error)?
        .label("Budget (phased, cumulative)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], BUDGET.stroke_width(3)));
    chart
        .draw_series(LineSeries::new(line(|p| p.spent), SPENT.stroke_width(3)))
        .map_err(draw_error)?
        .label("Actual + committed")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], SPENT.stroke_width(3)));
    chart
        .draw_series(LineSeries::new(line(|p| p.actual), ACTUAL.stroke_width(2)))
        .map_err(draw_error)?
        .label("Actual")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], ACTUAL.stroke_width(2)));
    chart
        .draw_series(DashedLineSeries::new(
            line(|p| p.forecast),
            6,
            4,
            ACTUAL.stroke_width(2),
        ))
        .map_err(draw_error)?
        .label("Forecast: actual at the run rate")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 8, y)], ACTUAL.stroke_width(2)));
    let (y_low, y_high) = (y_range.start, y_range.end);
    chart
        .draw_series(DashedLineSeries::new(
            vec![
                (x_start, coordinate(series.budget)),
                (
                    Coordinate::from(last_index) + 0.3,
                    coordinate(series.budget),
                ),
            ],
            2,
            4,
            BUDGET.stroke_width(1),
        ))
        .map_err(draw_error)?
        .label(format!(
            "Whole budget {}",
            format::money(series.budget, currency)
        ))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 6, y)], BUDGET.stroke_width(1)));
    if let Some(i) = index_of(series, series.as_of) {
        let x = Coordinate::from(i);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x, y_low), (x, y_high)],
                3,
                3,
                GRID.stroke_width(1),
            ))
            .map_err(draw_error)?;
        // At the foot of the line, where the forecast (rising from it) leaves room.
        chart
            .draw_series(std::iter::once(Text::new(
                format!("as of {}", series.as_of),
                (x + 0.15, y_low + (y_high - y_low) * 0.08),
                ("sans-serif", 12).into_font().color(&GRID),
            )))
            .map_err(draw_error)?;
    }
    if let Some(month) = series.run_out_month {
        if let Some(i) = index_of(series, month) {
            let x = Coordinate::from(i);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, y_low), (x, y_high)],
                    RUN_OUT.stroke_width(2),
                )))
                .map_err(draw_error)?
                .label(format!("Money runs out: {month}"))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], RUN_OUT.stroke_width(2))
                });
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("runs out {}", month_label(month)),
                    // Just above the whole-budget line it crosses.
                    (
                        x + 0.15,
                        coordinate(series.budget) + (y_high - y_low) * 0.06,
                    ),
                    ("sans-serif", 12).into_font().color(&RUN_OUT),
                )))
                .map_err(draw_error)?;
        }
    }
    let end = (Coordinate::from(last_index), coordinate(series.eac));
    chart
        .draw_series(std::iter::once(Circle::new(end, 5, SPENT.filled())))
        .map_err(draw_error)?
        .label(format!("EAC {}", format::money(series.eac, currency)))
        .legend(|(x, y)| Circle::new((x + 11, y), 4, SPENT.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(GRID.mix(0.5))
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(draw_error)?;
    root.present().map_err(draw_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::series::{project_series, MonthAmounts, ProjectBurn};
    use std::collections::BTreeMap;

    fn m(text: &str) -> Month {
        Month::parse(text).expect("test month")
    }

    fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR")
    }

    #[test]
    fn a_chart_is_one_svg_document_with_its_text_escaped_and_nothing_fetched() {
        let mut months = BTreeMap::new();
        for (month, actual) in [
            ("2026-01", "100.00"),
            ("2026-02", "300.00"),
            ("2026-03", "0"),
        ] {
            months.insert(
                m(month),
                MonthAmounts {
                    budget: "250.00".parse().expect("d"),
                    actual: actual.parse().expect("d"),
                    committed: Decimal::ZERO,
                },
            );
        }
        let series = project_series(&ProjectBurn {
            start: Some(m("2026-01")),
            end: Some(m("2026-04")),
            as_of: m("2026-02"),
            window: 2,
            budget: "1000.00".parse().expect("d"),
            eac: "1000.00".parse().expect("d"),
            run_out_month: Some(m("2026-04")),
            months,
        })
        .expect("series");
        let svg = svg(&series, eur(), "R&D <rollout>").expect("drawn");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(svg.matches("<svg").count(), 1);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("R&amp;D &lt;rollout&gt;"), "{svg}");
        assert!(!svg.contains("R&D <rollout>"));
        for text in [
            "€1,000",
            "Money runs out: 2026-04",
            "EAC €1,000.00",
            "Feb 2026",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        // Nothing for the viewer to fetch: no links, images or fonts from elsewhere.
        for outside in ["href", "<image", "@font-face", "url("] {
            assert!(!svg.contains(outside), "{outside} in {svg}");
        }
    }

    #[test]
    fn an_empty_series_says_so() {
        let empty = BurnSeries {
            points: Vec::new(),
            as_of: m("2026-01"),
            budget: Decimal::ZERO,
            eac: Decimal::ZERO,
            run_out_month: None,
        };
        let svg = svg(&empty, eur(), "P").expect("drawn");
        assert!(svg.contains("no dates, budget or spending to chart yet"));
    }
}
