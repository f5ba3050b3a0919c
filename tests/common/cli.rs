//! Running the `ropc` binary: with exactly the environment given, its stdin
//! written and closed, and none of the test file's secret markers in
//! anything it prints.

use std::ffi::OsStr;
use std::io::Write;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ropc");

/// What a `ropc` run printed, and how it ended (`code` -1: killed by a
/// signal).
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `ropc ARGS` with exactly `env` (nothing inherited from the test's own
/// environment), stdin, stdout and stderr piped.
pub fn command<K: AsRef<OsStr>, V: AsRef<OsStr>>(args: &[&str], env: &[(K, V)]) -> Command {
    configured(Command::new(BIN), args, env)
}

/// As [`command`], run through `/bin/sh -c SCRIPT` (`$0` is the binary, `$@`
/// the arguments).
pub fn shell_command<K: AsRef<OsStr>, V: AsRef<OsStr>>(
    script: &str,
    args: &[&str],
    env: &[(K, V)],
) -> Command {
    let mut sh = Command::new("/bin/sh");
    sh.args(["-c", script, BIN]);
    configured(sh, args, env)
}

fn configured<K: AsRef<OsStr>, V: AsRef<OsStr>>(
    mut cmd: Command,
    args: &[&str],
    env: &[(K, V)],
) -> Command {
    cmd.args(args)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Starts `cmd` and [`finish`]es it.
pub fn run(mut cmd: Command, stdin: &str, hidden: &[&str]) -> Out {
    finish(cmd.spawn().unwrap(), stdin, hidden)
}

/// Writes `stdin` to the child (when its stdin is piped) and closes it,
/// waits for the end, and asserts that none of `hidden` shows on stdout or
/// stderr, whatever happened.
pub fn finish(mut child: Child, stdin: &str, hidden: &[&str]) -> Out {
    if let Some(mut input) = child.stdin.take() {
        // ropc may exit before reading stdin (a configuration error, say):
        // a broken pipe is not the test's concern.
        let _ = input.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    for marker in hidden {
        assert!(
            !out.stdout.contains(marker),
            "{marker} on stdout: {}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(marker),
            "{marker} on stderr: {}",
            out.stderr
        );
    }
    out
}
