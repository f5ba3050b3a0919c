//! Tests that need other processes run their own test binary again: only
//! themselves (`--exact MODULE::NAME`), with a variable set that makes the copy play
//! the child; each such test checks its variable first thing. No `#[test]`
//! exists only as a child's body: it would pass at once in every ordinary
//! run, having tested nothing.

use std::process::Command;

/// This test binary, to run only the test `name` of the module `module`
/// (the caller's `module_path!()`) on one thread, the test's own output not
/// captured (a child may talk to its parent on stdout) and the harness's
/// kept short. The caller sets the variable that makes the test play the
/// child, and the stdio it needs.
pub fn rerun(module: &str, name: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        &super::test_name(module, name),
        "--nocapture",
        "--test-threads=1",
        "--quiet",
    ]);
    cmd
}
