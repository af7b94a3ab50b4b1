//! Helpers for tests that run a binary: paths as arguments, output as text, and a child
//! process that is killed when the test ends, however it ends.
//!
//! Not a way to find the binary: `CARGO_BIN_EXE_<name>` is only set for the tests of the
//! crate that builds it, so those tests keep their own `Command::new(env!(…))`.

use std::path::Path;
use std::process::{Child, Output};

/// A path as a command-line argument (test folders are UTF-8).
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A child process killed and reaped when dropped, so a failing test leaves none behind.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Assert that `text` contains each of `expected`, naming the first one missing.
pub fn assert_contains(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "{e:?} in {text}");
    }
}
