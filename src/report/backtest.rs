//! The backtest page (`report.html` of `safetynet backtest`): for each official figure, the
//! model's mean and 90 % band at the official dates, and the official points (filled when
//! confirmed, hollow when recalled). Inline SVG drawn by plotters; no scripts, fonts or network.

use crate::error::{Error, Result};
use plotters::prelude::*;
use std::fmt::Write as _;

/// One official date of a figure, with the model's matched value.
#[derive(Debug, Clone, Copy)]
pub struct ChartPoint {
    /// Time in years (the end of the month or span; mid-year for a year).
    pub x: f64,
    pub official: f64,
    pub confirmed: bool,
    /// Model mean and 90 % interval (NaN when undefined).
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
}

/// One chart: a figure's points, in the unit named.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub unit: String,
    pub points: Vec<ChartPoint>,
}

const WIDTH: u32 = 640;
const HEIGHT: u32 = 340;
const FONT: &str = "sans-serif";
const MODEL: RGBColor = RGBColor(31, 119, 180);
const OFFICIAL: RGBColor = RGBColor(214, 39, 40);

fn err<E: std::fmt::Debug>(e: E) -> Error {
    Error::Internal(format!("backtest chart: {e:?}"))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One chart as SVG text.
pub fn svg(c: &Chart) -> Result<String> {
    let vals: Vec<f64> = c
        .points
        .iter()
        .flat_map(|p| [p.official, p.mean, p.lo, p.hi])
        .filter(|v| v.is_finite())
        .collect();
    let y1 = vals.iter().cloned().fold(0.0f64, f64::max) * 1.08;
    let y1 = if y1 > 0.0 { y1 } else { 1.0 };
    let xs: Vec<f64> = c.points.iter().map(|p| p.x).collect();
    let x0 = xs.iter().cloned().fold(f64::INFINITY, f64::min).floor();
    let x1 = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max).ceil();
    let (x0, x1) = if x1 > x0 {
        (x0, x1)
    } else {
        (x0 - 1.0, x0 + 1.0)
    };
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&c.title, (FONT, 16).into_font().style(FontStyle::Bold))
            .margin(12)
            .margin_right(22)
            .x_label_area_size(30)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .map_err(err)?;
        let xl = |x: &f64| {
            if (x - x.round()).abs() < 1e-6 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(((x1 - x0) as usize + 1).clamp(2, 12))
            .x_label_formatter(&xl)
            .y_labels(6)
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.1))
            .y_desc(c.unit.as_str())
            .axis_desc_style((FONT, 14))
            .label_style((FONT, 13))
            .draw()
            .map_err(err)?;
        let model: Vec<&ChartPoint> = c
            .points
            .iter()
            .filter(|p| p.mean.is_finite() && p.lo.is_finite() && p.hi.is_finite())
            .collect();
        if model.len() > 1 {
            let mut poly: Vec<(f64, f64)> = model.iter().map(|p| (p.x, p.hi)).collect();
            poly.extend(model.iter().rev().map(|p| (p.x, p.lo)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    poly,
                    MODEL.mix(0.18).filled(),
                )))
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(
                    model.iter().map(|p| (p.x, p.mean)),
                    MODEL.stroke_width(2),
                ))
                .map_err(err)?;
        }
        for p in &model {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(p.x, p.lo), (p.x, p.hi)],
                    MODEL.mix(0.5).stroke_width(4),
                )))
                .map_err(err)?;
        }
        for p in c.points.iter().filter(|p| p.official.is_finite()) {
            let style = if p.confirmed {
                OFFICIAL.filled()
            } else {
                OFFICIAL.stroke_width(2)
            };
            chart
                .draw_series(std::iter::once(Circle::new((p.x, p.official), 5, style)))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// The whole page: a title, what was run, the charts and the table (given as rows of cells,
/// the first the header).
pub fn render(title: &str, about: &str, charts: &[Chart], table: &[Vec<String>]) -> Result<String> {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>body{{font-family:sans-serif;margin:2em;max-width:1400px}}\
         .charts{{display:flex;flex-wrap:wrap;gap:12px}} table{{border-collapse:collapse;font-size:13px}}\
         td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}} td:first-child{{text-align:left}}</style></head><body>\n\
         <h1>{t}</h1>\n<p>{a}</p>\n<p>Blue: the model's mean and 90 % interval at each official date (a stock interpolated \
         between half-year averages, a flow summed over its months). Red: official figures, filled when confirmed, hollow when recalled.</p>\n<div class=\"charts\">\n",
        t = esc(title),
        a = esc(about)
    );
    for c in charts {
        h.push_str(&svg(c)?);
        h.push('\n');
    }
    h.push_str("</div>\n<h2>Every figure</h2>\n<table>\n");
    for (i, row) in table.iter().enumerate() {
        let tag = if i == 0 { "th" } else { "td" };
        h.push_str("<tr>");
        for cell in row {
            let _ = write!(h, "<{tag}>{}</{tag}>", esc(cell));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n</body></html>\n");
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_draws_the_band_and_both_kinds_of_official_point() {
        let p = |x: f64, confirmed: bool| ChartPoint {
            x,
            official: 50.0,
            confirmed,
            mean: 45.0,
            lo: 40.0,
            hi: 48.0,
        };
        let c = Chart {
            title: "dibao persons".into(),
            unit: "million persons".into(),
            points: vec![p(2017.9, true), p(2019.4, false), p(2023.75, true)],
        };
        let s = svg(&c).unwrap();
        assert!(s.starts_with("<svg"), "{}", &s[..40]);
        assert!(s.contains("<polygon"), "no band");
        assert_eq!(s.matches("<circle").count(), 3);
        let page = render("t", "about", &[c], &[vec!["a".into()], vec!["b<".into()]]).unwrap();
        assert!(page.contains("<td>b&lt;</td>"));
    }
}
