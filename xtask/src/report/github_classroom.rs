//! GitHub Classroom's autograding, as its reporter
//! (`classroom-resources/autograding-grading-reporter@v1`) reads it: for
//! each runner named in its `runners` input, the base64 of a JSON object
//! in the env variable `<RUNNER>_RESULTS`:
//! `{"version": 1, "status": "pass"|"fail"|"error", "max_score": N,
//! "tests": [{"name", "status": "pass"|"fail", "message", "score"}]}`.
//!
//! The reporter adds up two different totals. The points it sends to
//! Classroom are the sum of `tests[].score` over every runner; the table it
//! prints for the student is, per runner, (tests passed ÷ tests) ×
//! `max_score`. They agree only when every test of a runner is worth the
//! same. So there is one runner per exercise *and points value*: `gather`
//! for its 1-point tests, `gather_x2` for its 2-point ones. The student's
//! table shows each exercise, and both totals are the grade.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::grading::{GradeReport, points};
use crate::model::Verdict;

/// A runner's id: the exercise's name with `_` for `-` (it becomes part of
/// an environment variable and a step output), and `_xN` for the tests
/// worth N points when they are not the exercise's usual value.
pub fn runner_id(exercise: &str, test_points: f64, usual: f64) -> String {
    let base = exercise.replace('-', "_");
    if test_points == usual { base } else { format!("{base}_x{}", points(test_points).replace('.', "_")) }
}

/// The points value most of an exercise's tests carry (the smallest on a
/// tie): its runner keeps the plain name.
pub fn usual_points(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v.to_bits()).or_default() += 1;
    }
    let best =
        counts.iter().max_by(|a, b| a.1.cmp(b.1).then(f64::from_bits(*b.0).total_cmp(&f64::from_bits(*a.0))));
    best.map_or(1.0, |(bits, _)| f64::from_bits(*bits))
}

/// Where the runner of tests worth `points` comes among its exercise's:
/// the usual value first, then the others from the smallest.
pub fn runner_order(points: f64, usual: f64) -> f64 {
    if points == usual { f64::NEG_INFINITY } else { points }
}

/// `{"runners": [ids in course order], "results": {id: result}}`.
pub fn render(report: &GradeReport) -> String {
    let mut order = Vec::new();
    let mut results = serde_json::Map::new();
    for graded in &report.exercises {
        let e = &graded.result;
        let usual = usual_points(e.tests.iter().map(|t| t.max_score));
        let mut groups: Vec<(String, Vec<Value>, f64, bool)> = Vec::new();
        let mut tests: Vec<_> = e.tests.iter().collect();
        tests.sort_by(|a, b| runner_order(a.max_score, usual).total_cmp(&runner_order(b.max_score, usual)));
        for t in tests {
            let id = runner_id(&e.name, t.max_score, usual);
            if !groups.iter().any(|g| g.0 == id) {
                groups.push((id.clone(), Vec::new(), 0.0, false));
            }
            let group = groups.iter_mut().find(|g| g.0 == id).expect("just added");
            let passed = t.kind.passed();
            let mut message = if passed { String::new() } else { t.message.clone() };
            if t.kind == Verdict::CompileError
                && let Some(errors) = &e.compile_error
            {
                message = format!("the exercise did not compile:\n\n{errors}");
                group.3 = true;
            }
            group.1.push(json!({
                "name": format!("{:02} {} · {}", e.number, e.name, t.name),
                "status": if passed { "pass" } else { "fail" },
                "message": message,
                "line_no": 0,
                "execution_time": format!("{:.3}s", t.wall_ms / 1000.0),
                "score": if passed { t.max_score } else { 0.0 },
            }));
            group.2 += t.max_score;
        }
        for (id, tests, max_score, errored) in groups {
            let all_pass = tests.iter().all(|t| t["status"] == "pass");
            let status = if errored {
                "error"
            } else if all_pass {
                "pass"
            } else {
                "fail"
            };
            order.push(Value::String(id.clone()));
            results.insert(
                id,
                json!({ "version": 1, "status": status, "max_score": max_score, "tests": tests }),
            );
        }
    }
    let out = json!({ "runners": order, "results": results, "sandbox": report.sandbox.summary() });
    serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
}

/// The lines a workflow step appends to `$GITHUB_OUTPUT`: `runners=a,b`,
/// then `<runner>=<base64 of its result>` for each.
pub fn github_output(rendered: &str) -> String {
    let Ok(value) = serde_json::from_str::<Value>(rendered) else { return String::new() };
    let runners: Vec<&str> =
        value["runners"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let mut out = format!("runners={}\n", runners.join(","));
    for runner in runners {
        let result = serde_json::to_string(&value["results"][runner]).unwrap_or_default();
        out.push_str(&format!("{runner}={}\n", base64(result.as_bytes())));
    }
    out
}

/// Standard base64 with padding (what Node's `Buffer.from(s, "base64")` reads).
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64("{\"é\":1}".as_bytes()), "eyLDqSI6MX0=");
    }

    #[test]
    fn runners_split_an_exercise_by_points() {
        assert_eq!(usual_points([1.0, 1.0, 2.0]), 1.0);
        assert_eq!(usual_points([2.0, 2.0, 1.0]), 2.0);
        assert_eq!(usual_points([1.0, 2.0]), 1.0);
        assert_eq!(runner_id("producer-consumer", 1.0, 1.0), "producer_consumer");
        assert_eq!(runner_id("retry", 2.0, 1.0), "retry_x2");
        assert_eq!(runner_id("retry", 0.5, 1.0), "retry_x0_5");
    }
}
