//! "no exercise 'gahter'; did you mean 'gather'?"

/// Edit distance with adjacent transpositions (optimal string alignment):
/// `gahter` is one step from `gather`, as a typist would count it.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// The closest candidate, if it is close enough to be a typo (or the
/// wanted name is a prefix of it).
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = wanted.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let d = if c.starts_with(&wanted) && !wanted.is_empty() { 0 } else { distance(&wanted, c) };
            (d, c)
        })
        .filter(|&(d, c)| d <= (c.chars().count() / 3).max(2))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name() {
        let names = ["gather", "semaphore", "timeout", "retry"];
        assert_eq!(closest("gahter", names), Some("gather"));
        assert_eq!(closest("semaphor", names), Some("semaphore"));
        assert_eq!(closest("sema", names), Some("semaphore"));
        assert_eq!(closest("timout", names), Some("timeout"));
        assert_eq!(closest("quantum", names), None);
    }
}
