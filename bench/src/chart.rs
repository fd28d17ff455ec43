//! The runner's results as a chart: one group of horizontal bars per cell, one bar per
//! server, each bar its server's figure relative to the cell's best (the longest bar is the
//! best server of the cell, whether higher or lower figures are better), drawn as SVG.
//!
//! A [`Table`] comes from the runner's own figures or from the markdown table a run
//! printed ([`Table::from_markdown`]), so a saved run can be drawn again.

use std::fmt::Write;

/// The figures of one run: servers in column order, one row per cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub servers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One cell: its label, whether a lower figure is better (memory, time), and each
/// server's figure with its text as printed, in the order of [`Table::servers`].
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub lower_is_better: bool,
    pub figures: Vec<Option<(f64, String)>>,
}

/// The columns after the servers in the runner's main table.
const SUMMARY_COLUMNS: [&str; 3] = ["best of the", "squall ÷ best", "paired"];

impl Table {
    /// Reads the first markdown table of a run's output (the runner's main table): the
    /// server columns, and each cell's figures as printed ("9.8k", "1.55M", "1562 MB/s",
    /// "3.7 KiB", "59 µs", with "†" marks and "—" for none). A row whose label names
    /// memory or an open time is taken as lower-is-better.
    pub fn from_markdown(text: &str) -> Result<Table, String> {
        let mut lines = text
            .lines()
            .skip_while(|line| !line.starts_with("| cell |"));
        let header = lines.next().ok_or("no table starting with \"| cell |\"")?;
        let columns = split_row(header);
        let servers: Vec<String> = columns[1..]
            .iter()
            .take_while(|c| !SUMMARY_COLUMNS.iter().any(|s| c.starts_with(s)))
            .cloned()
            .collect();
        if servers.is_empty() {
            return Err("the table has no server columns".to_owned());
        }
        let mut rows = Vec::new();
        for line in lines.skip(1).take_while(|line| line.starts_with('|')) {
            let fields = split_row(line);
            let label = fields[0].clone();
            let lower_is_better = label.contains("memory") || label.contains("open");
            let figures = (0..servers.len())
                .map(|i| {
                    let text = fields.get(i + 1)?.trim_end_matches('†').trim().to_owned();
                    parse_figure(&text).map(|value| (value, text))
                })
                .collect();
            rows.push(Row {
                label,
                lower_is_better,
                figures,
            });
        }
        Ok(Table { servers, rows })
    }

    /// The chart as a standalone SVG document.
    pub fn svg(&self, title: &str) -> String {
        const WIDTH: usize = 960;
        const LABEL: usize = 130;
        const BAR_AREA: usize = 620;
        const BAR: usize = 11;
        const GAP: usize = 2;
        const CELL_HEAD: usize = 20;
        const CELL_GAP: usize = 8;
        let legend_height = 24;
        let body: usize = self
            .rows
            .iter()
            .map(|row| CELL_HEAD + row.bars() * (BAR + GAP) + CELL_GAP)
            .sum();
        let height = 40 + legend_height + body + 20;
        let mut out = String::new();
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="11">"#
        );
        let _ = writeln!(
            out,
            r#"<rect width="100%" height="100%" fill="white"/><text x="10" y="22" font-size="15" font-weight="bold">{}</text>"#,
            escape(title)
        );
        let mut x = 10;
        for (i, server) in self.servers.iter().enumerate() {
            let _ = writeln!(
                out,
                r#"<rect x="{x}" y="36" width="12" height="12" fill="{}"/><text x="{}" y="46">{}</text>"#,
                colour(i),
                x + 16,
                escape(server)
            );
            x += 22 + 7 * server.chars().count();
        }
        let mut y = 40 + legend_height;
        for row in &self.rows {
            let note = if row.lower_is_better {
                " (lower is better; bar = best ÷ figure)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                r#"<text x="10" y="{}" font-weight="bold">{}{}</text>"#,
                y + 14,
                escape(&row.label),
                note
            );
            y += CELL_HEAD;
            let best = row.best();
            for (i, figure) in row.figures.iter().enumerate() {
                let Some((value, text)) = figure else {
                    continue;
                };
                let share = match best {
                    Some(best) if row.lower_is_better && *value > 0.0 => best / value,
                    Some(best) if best > 0.0 => value / best,
                    _ => 0.0,
                };
                let length = (share * BAR_AREA as f64).round().max(1.0);
                let _ = writeln!(
                    out,
                    r#"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{LABEL}" y="{y}" width="{length}" height="{BAR}" fill="{}"/><text x="{}" y="{}">{} ({:.2})</text>"#,
                    LABEL - 6,
                    y + BAR - 2,
                    escape(&self.servers[i]),
                    colour(i),
                    LABEL as f64 + length + 4.0,
                    y + BAR - 2,
                    escape(text),
                    share
                );
                y += BAR + GAP;
            }
            y += CELL_GAP;
        }
        out.push_str("</svg>\n");
        out
    }
}

impl Row {
    fn bars(&self) -> usize {
        self.figures.iter().filter(|f| f.is_some()).count()
    }

    /// The cell's best figure over every server (the ceiling included).
    fn best(&self) -> Option<f64> {
        let values = self.figures.iter().flatten().map(|(v, _)| *v);
        if self.lower_is_better {
            values.filter(|v| *v > 0.0).reduce(f64::min)
        } else {
            values.reduce(f64::max)
        }
    }
}

fn split_row(line: &str) -> Vec<String> {
    line.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(|field| field.trim().to_owned())
        .collect()
}

/// "9.8k" → 9,800, "1.55M" → 1,550,000, "1562 MB/s" → 1,562, "3.7 KiB" → 3.7; "—" → none.
fn parse_figure(text: &str) -> Option<f64> {
    let number: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    let value: f64 = number.parse().ok()?;
    let rest = text[text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(text.len())..]
        .trim_start();
    Some(match rest.chars().next() {
        Some('k') if !rest.starts_with("kB") => value * 1e3,
        Some('M') if !rest.starts_with("MB") => value * 1e6,
        _ => value,
    })
}

fn colour(index: usize) -> &'static str {
    const PALETTE: [&str; 10] = [
        "#d62728", "#ff9896", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
        "#bcbd22", "#7f7f7f",
    ];
    PALETTE[index % PALETTE.len()]
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "Best of 2 round(s).\n\n\
        | cell | squall | yawc | near-free | best of the 7 libraries | squall ÷ best | paired |\n\
        | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n\
        | 1 conn, 16 B | 9.8k | 10.2k | 10.0k | 10.2k | 0.96x | 0.94x |\n\
        | 1 MiB messages, 1 conn | 1562 MB/s | 1,323 MB/s | — | 1323 MB/s | 1.18x | 1.28x |\n\
        | memory per idle connection | 3.7 KiB | 11.5 KiB | — | 11.5 KiB | 3.1x | — |\n\
        | 100 conns, chat JSON | 1.55M † | 109.3k † | 116.0k | 109.3k | 1.04x | 1.02x |\n\
        \nCPU use while counting:\n\n| cell | squall |\n| --- | ---: |\n| 1 conn, 16 B | 40 / 39 |\n";

    #[test]
    fn a_saved_run_reads_back_as_its_servers_and_figures() {
        let table = Table::from_markdown(RUN).unwrap();
        assert_eq!(table.servers, ["squall", "yawc", "near-free"]);
        assert_eq!(table.rows.len(), 4, "only the first table is read");
        let values = |row: usize| -> Vec<Option<f64>> {
            table.rows[row]
                .figures
                .iter()
                .map(|f| f.as_ref().map(|(v, _)| *v))
                .collect()
        };
        assert_eq!(values(0), [Some(9_800.0), Some(10_200.0), Some(10_000.0)]);
        assert_eq!(values(1), [Some(1562.0), Some(1323.0), None]);
        assert_eq!(values(2), [Some(3.7), Some(11.5), None]);
        assert_eq!(
            values(3),
            [Some(1_550_000.0), Some(109_300.0), Some(116_000.0)]
        );
        assert!(table.rows[2].lower_is_better);
        assert!(!table.rows[0].lower_is_better);
        assert_eq!(table.rows[3].figures[0].as_ref().unwrap().1, "1.55M");
    }

    #[test]
    fn the_best_server_of_a_cell_gets_the_full_bar_either_way() {
        let table = Table::from_markdown(RUN).unwrap();
        let svg = table.svg("run");
        // Throughput: the best (yawc, 10.2k) is 1.00 and squall 9.8k / 10.2k = 0.96.
        assert!(svg.contains("10.2k (1.00)"), "{svg}");
        assert!(svg.contains("9.8k (0.96)"), "{svg}");
        // Memory: the least (squall, 3.7 KiB) is 1.00 and yawc 3.7 / 11.5 = 0.32.
        assert!(svg.contains("3.7 KiB (1.00)"), "{svg}");
        assert!(svg.contains("11.5 KiB (0.32)"), "{svg}");
        // No bar for a server without a figure.
        assert_eq!(svg.matches("near-free</text><rect").count(), 2);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn a_text_without_a_table_is_an_error() {
        assert!(Table::from_markdown("no table here").is_err());
    }
}
