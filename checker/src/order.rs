//! Lists whose order is the point: results in input order, pops in
//! priority order, workers in the order they were given. A failure names
//! the first slot that is wrong, not only the two whole lists.

use std::fmt::Debug;

use crate::expect::check_eq;
use crate::failure::fail;

/// The first slot at which `yours` and `expected` differ: where an item is
/// not the same, or where the shorter list ends. `None` if they are equal.
pub fn first_difference<T: PartialEq>(yours: &[T], expected: &[T]) -> Option<usize> {
    if yours == expected {
        return None;
    }
    Some(yours.iter().zip(expected).position(|(y, e)| y != e).unwrap_or(yours.len().min(expected.len())))
}

/// Asserts that the results of some jobs came back in input order: result
/// `i` is job `i`'s. When they do not, names the first result out of place
/// and says what usually causes it (collecting results as the jobs finish).
/// Test it with jobs that finish in another order than they were given.
pub fn check_input_order<T: Debug + PartialEq>(yours: Vec<T>, expected: Vec<T>, what: &str) {
    let Some(i) = first_difference(&yours, &expected) else {
        return;
    };
    if yours.len() != expected.len() {
        check_eq(yours, expected, &format!("{what}: one result per job"));
        return;
    }
    let mut message = format!(
        "{what}: the results are not in input order.\n\
         result {i} should be job {i}'s, {:?}; yours is {:?}.\n\
         these jobs finish in another order than they were given: were the results collected as the jobs \
         finished (FuturesUnordered, JoinSet::join_next)? keep each result in its job's slot.",
        expected[i], yours[i]
    );
    if expected.len() <= 10 {
        message.push_str(&format!("\n  expected: {expected:?}\n  yours:    {yours:?}"));
    }
    fail(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::tests::failure_of;

    #[test]
    fn the_first_difference_is_a_slot_or_where_a_list_ends() {
        assert_eq!(first_difference(&[1, 2, 3], &[1, 2, 3]), None);
        assert_eq!(first_difference(&[1, 3, 2], &[1, 2, 3]), Some(1));
        assert_eq!(first_difference(&[1, 2], &[1, 2, 3]), Some(2));
        assert_eq!(first_difference::<u8>(&[], &[1]), Some(0));
    }

    #[test]
    fn results_out_of_input_order_are_named_by_slot() {
        let message =
            failure_of(|| check_input_order(vec!['b', 'a', 'c'], vec!['a', 'b', 'c'], "concurrent"));
        assert!(message.starts_with("concurrent: the results are not in input order.\n"), "{message}");
        assert!(message.contains("result 0 should be job 0's, 'a'; yours is 'b'."), "{message}");
        assert!(message.ends_with("  expected: ['a', 'b', 'c']\n  yours:    ['b', 'a', 'c']"), "{message}");
        let long =
            failure_of(|| check_input_order((1..=20).collect(), (0..20).collect::<Vec<u32>>(), "100 jobs"));
        assert!(!long.contains("expected:"), "{long}");
        let short = failure_of(|| check_input_order(vec![1], vec![1, 2], "two jobs"));
        assert!(short.starts_with("two jobs: one result per job\n"), "{short}");
        check_input_order(vec![1, 2], vec![1, 2], "in order");
    }
}
