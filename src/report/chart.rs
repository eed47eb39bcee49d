//! Line charts with interval bands, drawn by plotters as SVG text (no font files needed: the
//! browser renders the labels).

use crate::error::{Error, Result};
use plotters::prelude::*;

/// Distinct colours (Tableau 10), one per scenario in order.
pub const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// CSS colour of palette entry `i`.
pub fn css_color(i: usize) -> String {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    format!("rgb({r},{g},{b})")
}

/// One point of a series (a year, or a swept value): the mean and its 90 % interval, already
/// in display units.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub x: f64,
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// A labelled line with its band.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    /// Palette index.
    pub color: usize,
    pub points: Vec<Point>,
}

const WIDTH: u32 = 640;
const PLOT_HEIGHT: u32 = 360;
const FONT: &str = "sans-serif";

fn err<E: std::fmt::Debug>(e: E) -> Error {
    Error::Internal(format!("chart: {e:?}"))
}

/// Tick labels with as many decimals as the axis span needs.
fn decimals(span: f64) -> usize {
    if span >= 40.0 {
        0
    } else if span >= 4.0 {
        1
    } else if span >= 0.4 {
        2
    } else {
        3
    }
}

/// Line width of series `i` of `n`: with few series, earlier lines are wider, so a line that
/// coincides with a later one still shows as a coloured edge around it.
fn line_width(n: usize, i: usize) -> u32 {
    match n {
        0..=3 => 2 + 2 * (n - 1 - i) as u32,
        4..=5 => 2 + (n - 1 - i) as u32,
        _ => 2,
    }
}

/// Legend rows: (label, colour) laid out left to right, wrapping at the chart width.
fn legend_layout(series: &[Series]) -> Vec<Vec<(i32, usize)>> {
    let mut rows: Vec<Vec<(i32, usize)>> = vec![vec![]];
    let mut x = 12i32;
    for (i, s) in series.iter().enumerate() {
        let w = 34 + (s.label.chars().count() as i32) * 8 + 18;
        if x + w > WIDTH as i32 - 8 && !rows.last().map(|r| r.is_empty()).unwrap_or(true) {
            rows.push(vec![]);
            x = 12;
        }
        if let Some(r) = rows.last_mut() {
            r.push((x, i));
        }
        x += w;
    }
    rows
}

/// What the horizontal axis shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum XAxis<'a> {
    /// Calendar years (whole numbers; a band is not drawn across a missing year).
    Years,
    /// Values of a swept parameter, named.
    Values(&'a str),
}

/// A chart of `series`, each a line with its p05–p95 band; `y_desc` names the unit. With
/// `zero_line`, a dark line marks zero (for changes against a baseline).
pub fn line_chart(
    title: &str,
    x_axis: XAxis,
    y_desc: &str,
    series: &[Series],
    zero_line: bool,
) -> Result<String> {
    let layout = legend_layout(series);
    let legend_h = 12 + 22 * layout.len() as u32;
    let height = PLOT_HEIGHT + legend_h;
    let all: Vec<&Point> = series
        .iter()
        .flat_map(|s| &s.points)
        .filter(|p| p.mean.is_finite() && p.lo.is_finite() && p.hi.is_finite())
        .collect();
    let (mut y0, mut y1) = all.iter().fold((0.0f64, 0.0f64), |(a, b), p| {
        (a.min(p.lo).min(p.mean), b.max(p.hi).max(p.mean))
    });
    if y1 - y0 <= 0.0 {
        y1 = y0 + 1.0;
    }
    let pad = (y1 - y0) * 0.06;
    if y1 > 0.0 {
        y1 += pad;
    }
    if y0 < 0.0 {
        y0 -= pad;
    }
    let (x0, x1) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.x), b.max(p.x))
        });
    let (x0, x1) = if all.is_empty() { (0.0, 1.0) } else { (x0, x1) };
    let xpad = match x_axis {
        XAxis::Years => 0.4,
        XAxis::Values(_) => ((x1 - x0) * 0.05).max(1e-9),
    };
    let (xl, xh) = if x1 > x0 {
        (x0 - xpad, x1 + xpad)
    } else {
        (x0 - 0.5 * x0.abs().max(1.0), x0 + 0.5 * x0.abs().max(1.0))
    };
    let xr = xl..xh;
    let x_labels = match x_axis {
        XAxis::Years => ((x1 - x0) as usize + 1).clamp(2, 12),
        XAxis::Values(_) => 6,
    };
    let xd = decimals(x1 - x0) + 1;
    let d = decimals(y1 - y0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (plot, legend) = root.split_vertically(PLOT_HEIGHT);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, (FONT, 19).into_font().style(FontStyle::Bold))
            .margin(12)
            .margin_right(22)
            .x_label_area_size(34)
            .y_label_area_size(74)
            .build_cartesian_2d(xr, y0..y1)
            .map_err(err)?;
        let xfmt = |x: &f64| match x_axis {
            XAxis::Years if (x - x.round()).abs() < 1e-6 => format!("{:.0}", x),
            XAxis::Years => String::new(),
            XAxis::Values(_) => {
                let t = format!("{:.xd$}", x);
                if t.contains('.') {
                    t.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    t
                }
            }
        };
        let yfmt = |y: &f64| format!("{:.d$}", y);
        chart
            .configure_mesh()
            .x_labels(x_labels)
            .y_labels(8)
            .x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.1))
            .y_desc(y_desc)
            .x_desc(match x_axis {
                XAxis::Years => "",
                XAxis::Values(d) => d,
            })
            .axis_desc_style((FONT, 15))
            .label_style((FONT, 14))
            .draw()
            .map_err(err)?;
        if zero_line && y0 < 0.0 && y1 > 0.0 {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(xl, 0.0), (xh, 0.0)],
                    BLACK.mix(0.7).stroke_width(1),
                )))
                .map_err(err)?;
        }
        // Bands first, so every line stays visible on top of every band.
        for s in series {
            let (r, g, b) = PALETTE[s.color % PALETTE.len()];
            let c = RGBColor(r, g, b);
            for run in runs(&s.points, x_axis == XAxis::Years) {
                if run.len() == 1 {
                    let p = run[0];
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(p.x, p.lo), (p.x, p.hi)],
                            c.mix(0.45).stroke_width(6),
                        )))
                        .map_err(err)?;
                    continue;
                }
                let mut poly: Vec<(f64, f64)> = run.iter().map(|p| (p.x, p.hi)).collect();
                poly.extend(run.iter().rev().map(|p| (p.x, p.lo)));
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.16).filled())))
                    .map_err(err)?;
            }
        }
        let n = series.len();
        for (i, s) in series.iter().enumerate() {
            let (r, g, b) = PALETTE[s.color % PALETTE.len()];
            let c = RGBColor(r, g, b);
            let width = line_width(n, i);
            for run in runs(&s.points, x_axis == XAxis::Years) {
                chart
                    .draw_series(LineSeries::new(
                        run.iter().map(|p| (p.x, p.mean)),
                        c.stroke_width(width),
                    ))
                    .map_err(err)?;
                chart
                    .draw_series(
                        run.iter()
                            .map(|p| Circle::new((p.x, p.mean), 2 + width / 2, c.filled())),
                    )
                    .map_err(err)?;
            }
        }
        for (row, entries) in layout.iter().enumerate() {
            let y = 6 + 22 * row as i32;
            for &(x, i) in entries {
                let s = &series[i];
                let (r, g, b) = PALETTE[s.color % PALETTE.len()];
                let c = RGBColor(r, g, b);
                legend
                    .draw(&Rectangle::new(
                        [(x, y + 2), (x + 26, y + 16)],
                        c.mix(0.16).filled(),
                    ))
                    .map_err(err)?;
                legend
                    .draw(&PathElement::new(
                        vec![(x, y + 9), (x + 26, y + 9)],
                        c.stroke_width(line_width(n, i)),
                    ))
                    .map_err(err)?;
                legend
                    .draw(&Text::new(
                        s.label.clone(),
                        (x + 32, y + 2),
                        (FONT, 14).into_font().color(&BLACK),
                    ))
                    .map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Runs of consecutive defined points; with `years`, a gap in the years also splits (a band
/// is not drawn across a missing year).
fn runs(points: &[Point], years: bool) -> Vec<Vec<Point>> {
    let mut out: Vec<Vec<Point>> = Vec::new();
    let mut cur: Vec<Point> = Vec::new();
    let mut sorted: Vec<Point> = points.to_vec();
    sorted.sort_by(|a, b| a.x.total_cmp(&b.x));
    for p in sorted {
        let ok = p.x.is_finite() && p.mean.is_finite() && p.lo.is_finite() && p.hi.is_finite();
        let joined = !years || cur.last().map(|q| q.x + 1.0 == p.x).unwrap_or(true);
        if (!ok || !joined) && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if ok {
            cur.push(p);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_svg_with_title_legend_and_a_band() {
        let pts = |m: f64| -> Vec<Point> {
            (2023..2026)
                .map(|y| Point {
                    x: y as f64,
                    mean: m + y as f64 - 2023.0,
                    lo: m - 1.0,
                    hi: m + 4.0,
                })
                .collect()
        };
        let svg = line_chart(
            "Total cost & more",
            XAxis::Years,
            "billion yuan",
            &[
                Series {
                    label: "baseline".into(),
                    color: 0,
                    points: pts(10.0),
                },
                Series {
                    label: "reform".into(),
                    color: 1,
                    points: pts(12.0),
                },
            ],
            false,
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Total cost &amp; more"));
        assert!(svg.contains("reform") && svg.contains("billion yuan"));
        assert!(svg.contains("<polygon"), "band drawn");
        assert!(
            svg.contains(">2024<") || svg.contains("2024\n"),
            "year tick"
        );
    }

    #[test]
    fn missing_years_split_the_band() {
        let p = |y: i32, m: f64| Point {
            x: y as f64,
            mean: m,
            lo: m,
            hi: m,
        };
        let pts = [p(2023, 1.0), p(2024, f64::NAN), p(2025, 1.0), p(2026, 1.0)];
        let r = runs(&pts, true);
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].len(), 2);
        // Swept values are not consecutive integers: only undefined points split.
        let vals = [p(1, 1.0), p(3, 1.0), p(9, 1.0)];
        assert_eq!(runs(&vals, false).len(), 1);
        assert_eq!(runs(&vals, true).len(), 3);
    }
}
