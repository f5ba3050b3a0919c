//! Running the `ropc` binary: with exactly the environment given, its stdin
//! written and closed, and none of the test module's secret markers in
//! anything it prints; or on a pseudo-terminal of its own ([`Terminal`]),
//! typed at as a user would.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    assert_hidden(&out, hidden, "on stdout");
    out
}

/// Asserts no marker of `hidden` shows in `out` (`stdout_is` says where
/// its stdout went, for the message).
fn assert_hidden(out: &Out, hidden: &[&str], stdout_is: &str) {
    for marker in hidden {
        assert!(
            !out.stdout.contains(marker),
            "{marker} {stdout_is}: {:?}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(marker),
            "{marker} on stderr: {}",
            out.stderr
        );
    }
}

/// `ropc ARGS` with exactly `env`, on a pseudo-terminal of its own: run by
/// util-linux `script` (`script -q -e --echo always -c 'ropc ARGS'
/// /dev/null`), so that its stdin, stdout and stderr and `/dev/tty` are
/// that terminal, with echo on as a login shell leaves it. What is written
/// to the command's stdin is typed on the terminal; everything the terminal
/// shows (ropc's output, a prompt, and what the terminal echoes) comes out
/// on its stdout. [`Terminal::start`] runs it.
///
/// Fails, saying what to install, when `script` is missing: a test that
/// needs a terminal never passes without one.
pub fn on_a_terminal<K: AsRef<OsStr>, V: AsRef<OsStr>>(args: &[&str], env: &[(K, V)]) -> Command {
    let found = Command::new("script")
        .arg("--version")
        .stdin(Stdio::null())
        .output();
    assert!(
        found.as_ref().is_ok_and(|o| o.status.success()),
        "this test runs ropc on a pseudo-terminal with util-linux `script` (Debian: \
         `apt-get install bsdutils`), which is not installed here: {found:?}"
    );
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let command: Vec<String> = std::iter::once(BIN)
        .chain(args.iter().copied())
        .map(quote)
        .collect();
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "--echo", "always", "-c"])
        .arg(format!("exec {}", command.join(" ")))
        .arg("/dev/null");
    configured(cmd, &[], env)
}

/// A command running on a terminal ([`on_a_terminal`]): what the terminal
/// shows is collected as it comes, and lines are typed when the test says.
/// Dropped unfinished (a failed test), the command is killed.
pub struct Terminal {
    child: Option<Child>,
    shown: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

/// How long [`Terminal::wait_for`] waits: a hang guard, not a timing
/// assertion.
const TERMINAL_PATIENCE: Duration = Duration::from_secs(30);

impl Terminal {
    /// Starts `cmd` (made by [`on_a_terminal`]).
    pub fn start(mut cmd: Command) -> Terminal {
        let mut child = cmd.spawn().unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let shown = Arc::new(Mutex::new(Vec::new()));
        let sink = shown.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        Terminal {
            child: Some(child),
            shown,
            reader: Some(reader),
            stderr: Some(stderr),
        }
    }

    /// What the terminal has shown so far.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.shown.lock().unwrap()).into_owned()
    }

    /// Waits until the terminal shows `text`; fails, with the screen, when
    /// the command ends first or nothing comes for half a minute.
    pub fn wait_for(&mut self, text: &str) {
        let started = Instant::now();
        while !self.screen().contains(text) {
            let ended = self.child.as_mut().unwrap().try_wait().unwrap();
            assert!(
                ended.is_none() || self.screen().contains(text),
                "ended ({ended:?}) without showing {text:?}; the screen: {:?}",
                self.screen()
            );
            assert!(
                started.elapsed() < TERMINAL_PATIENCE,
                "{text:?} never shown; the screen: {:?}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types `line` and Enter.
    pub fn type_line(&mut self, line: &str) {
        let input = self.child.as_mut().unwrap().stdin.as_mut().unwrap();
        input.write_all(format!("{line}\n").as_bytes()).unwrap();
        input.flush().unwrap();
    }

    /// Stops typing, waits for the end (half a minute at most), and asserts
    /// that none of `hidden` was ever shown. `stdout` is the screen, with
    /// the terminal's `\r\n` line ends as `\n`.
    pub fn finish(mut self, hidden: &[&str]) -> Out {
        let mut child = self.child.take().unwrap();
        drop(child.stdin.take());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > TERMINAL_PATIENCE {
                let _ = child.kill();
                panic!("still running; the screen: {:?}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        self.reader.take().unwrap().join().unwrap();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        let out = Out {
            code: status.code().unwrap_or(-1),
            stdout: self.screen().replace("\r\n", "\n"),
            stderr,
        };
        assert_hidden(&out, hidden, "shown on the terminal");
        out
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
