//! Line diffs, for the versions of a rule: the longest common subsequence of two texts'
//! lines (after their common start and end are set aside), shown with a few lines of
//! context around each change.

/// Past this many cells (lines before × lines after, of the part that differs) no table
/// is built and that part is shown as removed, then added.
const MAX_CELLS: usize = 1_000_000;

/// What happened to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Same,
    Added,
    Removed,
    /// Unchanged lines left out; the line's text says how many.
    Skipped,
}

impl Kind {
    /// The CSS class of a row.
    pub fn class(self) -> &'static str {
        match self {
            Kind::Same => "d-same",
            Kind::Added => "d-added",
            Kind::Removed => "d-removed",
            Kind::Skipped => "d-skip",
        }
    }

    /// The sign in front of the line.
    pub fn sign(self) -> &'static str {
        match self {
            Kind::Same | Kind::Skipped => "",
            Kind::Added => "+",
            Kind::Removed => "−",
        }
    }

    pub fn is_skipped(self) -> bool {
        self == Kind::Skipped
    }
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub kind: Kind,
    /// Its number in the old text (from 1), 0 for an added line.
    pub old: usize,
    /// Its number in the new text (from 1), 0 for a removed line.
    pub new: usize,
    pub text: String,
}

impl Line {
    fn same(old: usize, new: usize, text: &str) -> Line {
        Line {
            kind: Kind::Same,
            old: old + 1,
            new: new + 1,
            text: text.to_string(),
        }
    }

    fn removed(old: usize, text: &str) -> Line {
        Line {
            kind: Kind::Removed,
            old: old + 1,
            new: 0,
            text: text.to_string(),
        }
    }

    fn added(new: usize, text: &str) -> Line {
        Line {
            kind: Kind::Added,
            old: 0,
            new: new + 1,
            text: text.to_string(),
        }
    }
}

/// Every line of `old` and `new`, in order, each marked same, removed or added.
pub(crate) fn lines(old: &str, new: &str) -> Vec<Line> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    for (i, text) in a[..prefix].iter().enumerate() {
        out.push(Line::same(i, i, text));
    }
    middle(
        &a[prefix..a.len() - suffix],
        &b[prefix..b.len() - suffix],
        prefix,
        &mut out,
    );
    for k in 0..suffix {
        let (i, j) = (a.len() - suffix + k, b.len() - suffix + k);
        out.push(Line::same(i, j, a[i]));
    }
    out
}

/// The part between the common start and end, both beginning at line `start`.
fn middle(a: &[&str], b: &[&str], start: usize, out: &mut Vec<Line>) {
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 || n.saturating_mul(m) > MAX_CELLS {
        for (i, text) in a.iter().enumerate() {
            out.push(Line::removed(start + i, text));
        }
        for (j, text) in b.iter().enumerate() {
            out.push(Line::added(start + j, text));
        }
        return;
    }
    // common[i * width + j]: the longest common subsequence of a[i..] and b[j..].
    let width = m + 1;
    let mut common = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i * width + j] = if a[i] == b[j] {
                common[(i + 1) * width + j + 1] + 1
            } else {
                common[(i + 1) * width + j].max(common[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(Line::same(start + i, start + j, a[i]));
            i += 1;
            j += 1;
        } else if common[(i + 1) * width + j] >= common[i * width + j + 1] {
            out.push(Line::removed(start + i, a[i]));
            i += 1;
        } else {
            out.push(Line::added(start + j, b[j]));
            j += 1;
        }
    }
    for (k, text) in a[i..].iter().enumerate() {
        out.push(Line::removed(start + i + k, text));
    }
    for (k, text) in b[j..].iter().enumerate() {
        out.push(Line::added(start + j + k, text));
    }
}

/// The changed lines with `context` unchanged lines around each; every other run of
/// unchanged lines becomes one [`Kind::Skipped`] line.
pub(crate) fn with_context(lines: Vec<Line>, context: usize) -> Vec<Line> {
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.kind != Kind::Same)
        .map(|(i, _)| i)
        .collect();
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= context);
    let mut out = Vec::new();
    let mut skipped = 0usize;
    let flush = |out: &mut Vec<Line>, skipped: &mut usize| {
        if *skipped > 0 {
            out.push(Line {
                kind: Kind::Skipped,
                old: 0,
                new: 0,
                text: match *skipped {
                    1 => "1 unchanged line".to_string(),
                    n => format!("{n} unchanged lines"),
                },
            });
            *skipped = 0;
        }
    };
    for (i, line) in lines.into_iter().enumerate() {
        if line.kind == Kind::Same && !near(i) {
            skipped += 1;
        } else {
            flush(&mut out, &mut skipped);
            out.push(line);
        }
    }
    flush(&mut out, &mut skipped);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signs(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| match l.kind {
                Kind::Same => format!(" {}", l.text),
                Kind::Added => format!("+{}", l.text),
                Kind::Removed => format!("-{}", l.text),
                Kind::Skipped => format!("~{}", l.text),
            })
            .collect()
    }

    #[test]
    fn equal_texts_are_all_the_same() {
        let d = lines("a\nb\n", "a\nb\n");
        assert_eq!(signs(&d), [" a", " b"]);
        assert_eq!((d[1].old, d[1].new), (2, 2));
    }

    #[test]
    fn an_inserted_line_is_added_and_numbers_follow() {
        let d = lines("a\nc", "a\nb\nc");
        assert_eq!(signs(&d), [" a", "+b", " c"]);
        assert_eq!((d[1].old, d[1].new), (0, 2));
        assert_eq!((d[2].old, d[2].new), (2, 3));
    }

    #[test]
    fn a_changed_line_is_removed_then_added() {
        let d = lines(
            "if x {\n    set_priority(\"high\");\n}",
            "if x {\n    set_priority(\"urgent\");\n    add_tag(\"vip\");\n}",
        );
        assert_eq!(
            signs(&d),
            [
                " if x {",
                "-    set_priority(\"high\");",
                "+    set_priority(\"urgent\");",
                "+    add_tag(\"vip\");",
                " }"
            ]
        );
    }

    #[test]
    fn moved_and_removed_lines_keep_the_longest_common_part() {
        let d = lines("a\nb\nc\nd\ne", "b\nc\nx\ne\na");
        assert_eq!(signs(&d), ["-a", " b", " c", "-d", "+x", " e", "+a"]);
        assert_eq!(signs(&lines("", "a\nb")), ["+a", "+b"]);
        assert_eq!(signs(&lines("a\nb", "")), ["-a", "-b"]);
    }

    #[test]
    fn far_unchanged_lines_are_skipped() {
        let old: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
        let mut new = old.clone();
        new[9] = "ten".into();
        let d = with_context(lines(&old.join("\n"), &new.join("\n")), 2);
        assert_eq!(
            signs(&d),
            [
                "~7 unchanged lines",
                " 8",
                " 9",
                "-10",
                "+ten",
                " 11",
                " 12",
                "~8 unchanged lines"
            ]
        );
        assert!(with_context(lines("a", "a"), 3)[0].kind.is_skipped());
    }
}
