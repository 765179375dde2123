//! How far apart two texts are, in lines: what `verify` uses to notice a
//! mutant that has drifted from its solution.

/// Lines only in `a` (removed) and only in `b` (added), by the longest
/// common subsequence of lines.
pub fn removed_added(a: &str, b: &str) -> (usize, usize) {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    // The common head and tail cost nothing; the table covers the middle.
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..].iter().rev().zip(b[head..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y { diagonal + 1 } else { above.max(row[j]) };
            diagonal = above;
        }
    }
    let common = row[b.len()];
    (a.len() - common, b.len() - common)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_removed_and_added() {
        assert_eq!(removed_added("a\nb\nc\n", "a\nb\nc\n"), (0, 0));
        assert_eq!(removed_added("a\nb\nc\n", "a\nx\ny\nc\n"), (1, 2));
        assert_eq!(removed_added("a\nb\nc\nd\n", "b\nc\nd\ne\n"), (1, 1));
        assert_eq!(removed_added("", "a\n"), (0, 1));
    }
}
