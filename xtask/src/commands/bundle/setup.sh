#!/usr/bin/env bash
# awaitlings autograder: Gradescope runs this once, as root, when it builds
# the autograder's image. It installs the stable Rust toolchain, pre-builds
# the course (so grading a submission compiles only the student's code), and
# grades the reference solutions as a self-test: they must score full marks.
set -euo pipefail

ROOT="${AWAITLINGS_AUTOGRADER_ROOT:-/autograder}"
COURSE="$ROOT/source/course"
export RUSTUP_HOME="${RUSTUP_HOME:-/usr/local/rustup}"
export CARGO_HOME="${CARGO_HOME:-/usr/local/cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
export NO_COLOR=1

if ! command -v cargo >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl ca-certificates build-essential
  fi
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
    sh -s -- -y --profile minimal --default-toolchain stable --no-modify-path
fi
cargo --version

# Grade as an unprivileged user where the platform allows.
if [ "$(id -u)" = 0 ] && ! id autograder >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash autograder 2>/dev/null || true
fi

cd "$COURSE"
cargo fetch
cargo xtask grade --solutions @GRADE_ARGS@

# The self-test is done: the reference solutions leave the image, so that no
# submission can find them, and the workspace is listed without them.
rm -rf "$COURSE/solutions"
mv "$COURSE/Cargo.graded.toml" "$COURSE/Cargo.toml"
cargo xtask list >/dev/null

if [ "$(id -u)" = 0 ] && id autograder >/dev/null 2>&1; then
  chown -R autograder "$COURSE"
  chmod -R a+rX "$RUSTUP_HOME" "$CARGO_HOME"
fi
echo "awaitlings autograder ready"
