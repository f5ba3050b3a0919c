//! `ropc access` and `ropc logout` against the loopback provider: logging
//! in once then living on the store, every store problem found before the
//! password is read or sent, `--output`, and a refresh token that cannot be
//! saved. Every test here runs the `ropc` binary.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ropc::testing::Provider;
use ropc::{FileStore, Secret, StoredTokens, TokenStore};

use crate::common::cli;
use crate::common::{mkfifo, tempdir, write_private};

use super::{CREDS, HIDDEN, ID, PASSWORD, USER, expire_stored_token, ropc, ropc_spawn, store_arg};

#[test]
fn access_without_store_or_password_exits_3_login_required() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-login");
    let dir = tmp.path();
    let store = store_arg(&dir.join("tokens"));
    let user = [("ROPC_USERNAME", USER)];
    let (code, stdout, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("login required"), "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(p.requests(), 0);
    tmp.close().unwrap();
}

#[test]
fn access_without_a_username_is_a_configuration_error_not_login_required() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-no-user");
    let dir = tmp.path();
    let store = store_arg(&dir.join("tokens"));
    // Nothing stored, a password on stdin: still exit 2, naming the variable.
    let (code, stdout, stderr) = ropc(&["access", "--store", &store], &p, PASSWORD, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr, "ropc: ROPC_USERNAME is not set\n");
    assert!(stdout.is_empty());
    // Nothing set at all: every variable at once.
    let out = cli::run(
        cli::command(&["access", "--store", &store], &[("HOME", "/")]),
        "",
        HIDDEN,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "ropc: ROPC_TOKEN_URL, ROPC_CLIENT_ID, ROPC_CLIENT_SECRET (or ROPC_CLIENT_SECRET_FILE) \
         and ROPC_USERNAME are not set\n"
    );
    assert_eq!(p.requests(), 0);
    assert!(!dir.join("tokens.lock").exists(), "nothing done");
    tmp.close().unwrap();
}

#[test]
fn access_logs_in_once_then_lives_on_the_store() {
    use std::os::unix::fs::PermissionsExt;
    let p = CREDS.provider();
    let tmp = tempdir("cli-access");
    let dir = tmp.path();
    let path = dir.join("tokens");
    let store = store_arg(&path);
    let user = [("ROPC_USERNAME", USER)];
    let (code, first, stderr) = ropc(
        &["access", "--store", &store],
        &p,
        &format!("{PASSWORD}\n"),
        &user,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        first.starts_with("eyJ") && first.ends_with('\n') && first.lines().count() == 1,
        "{first}"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(p.records().len(), 1);
    // Next run: the stored token is still valid; no request, no password needed.
    let (code, second, _) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 0);
    assert_eq!(second, first);
    assert_eq!(p.requests(), 1);
    // Near expiry (simulated by rewriting expires_at): one refresh, rotation saved.
    let fs = FileStore::new(&path);
    let old_rt = fs.load().unwrap().unwrap().refresh_token.unwrap();
    expire_stored_token(&path, |at| at - 3590);
    let (code, third, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(third, first);
    assert_eq!(p.refresh_grants(), 1);
    assert_ne!(fs.load().unwrap().unwrap().refresh_token.unwrap(), old_rt);
    // Logout wipes the store; the next access needs the password again.
    let (code, _, _) = ropc(&["logout", "--store", &store], &p, "", &[]);
    assert_eq!(code, 0);
    assert!(!path.exists());
    let (code, _, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 3, "{stderr}");
    tmp.close().unwrap();
}

#[test]
fn access_with_a_revoked_refresh_token_and_no_password_exits_3() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-revoked");
    let dir = tmp.path();
    let path = dir.join("tokens");
    let store = store_arg(&path);
    let user = [("ROPC_USERNAME", USER)];
    assert_eq!(
        ropc(&["access", "--store", &store], &p, PASSWORD, &user).0,
        0
    );
    expire_stored_token(&path, |_| 0);
    p.revoke_refresh_tokens();
    let (code, _, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("login required"), "{stderr}");
    tmp.close().unwrap();
}

#[test]
fn access_and_logout_need_a_store_path() {
    let p = CREDS.provider();
    for args in [
        &["access"][..],
        &["access", "--store"],
        &["logout"],
        &["access", "--stor", "x"],
    ] {
        assert_eq!(ropc(args, &p, "", &[]).0, 2, "{args:?}");
    }
}

#[test]
fn access_on_a_terminal_prompts_only_when_it_needs_the_password() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-terminal");
    let dir = tmp.path();
    let store = store_arg(&dir.join("tokens"));
    let env = CREDS.login_env(p.url());
    let args = ["access", "--store", &store];
    // Nothing stored: the password is asked for, without echo.
    let mut term = cli::Terminal::start(cli::on_a_terminal(&args, &env));
    term.wait_for(&format!("password for {USER}: "));
    term.type_line(PASSWORD);
    let first = term.finish(HIDDEN);
    assert_eq!(first.code, 0, "{:?}", first.stdout);
    let token = first.stdout.lines().last().unwrap();
    assert!(token.starts_with("eyJ"), "{:?}", first.stdout);
    // Stored: no prompt, the same token.
    let second = cli::Terminal::start(cli::on_a_terminal(&args, &env)).finish(HIDDEN);
    assert_eq!(second.code, 0, "{:?}", second.stdout);
    assert_eq!(second.stdout, format!("{token}\n"));
    // A store that cannot be used: no prompt either, exit 2.
    let missing = store_arg(&dir.join("missing").join("tokens"));
    let out = cli::Terminal::start(cli::on_a_terminal(&["access", "--store", &missing], &env))
        .finish(HIDDEN);
    assert_eq!(out.code, 2, "{:?}", out.stdout);
    assert!(!out.stdout.contains("password"), "{:?}", out.stdout);
    assert!(out.stdout.contains("does not exist"), "{:?}", out.stdout);
    assert_eq!(p.requests(), 1);
    tmp.close().unwrap();
}

#[test]
fn access_refuses_a_store_made_for_another_user_client_or_token_url() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-account");
    let dir = tmp.path();
    let path = dir.join("tokens");
    let store = store_arg(&path);
    let args = ["access", "--store", &store];
    let user = [("ROPC_USERNAME", USER)];
    let (code, token, stderr) = ropc(&args, &p, PASSWORD, &user);
    assert_eq!(code, 0, "{stderr}");
    let before = std::fs::read(&path).unwrap();
    let other_url = format!("{}?tenant=2", p.url());
    let cases = [
        (
            vec![("ROPC_USERNAME", "bob")],
            format!("user {USER:?} (not \"bob\")"),
        ),
        (
            vec![("ROPC_USERNAME", USER), ("ROPC_CLIENT_ID", "other-client")],
            format!("client id {ID:?} (not \"other-client\")"),
        ),
        (
            vec![
                ("ROPC_USERNAME", USER),
                ("ROPC_TOKEN_URL", other_url.as_str()),
            ],
            format!("token URL {:?} (not {other_url:?})", p.url()),
        ),
    ];
    for (extra, why) in cases {
        // A password at hand changes nothing: the store is refused first.
        let (code, stdout, stderr) = ropc(&args, &p, PASSWORD, &extra);
        assert_eq!(code, 2, "{extra:?}: {stderr}");
        assert!(stdout.is_empty(), "{extra:?}: handed out {stdout}");
        assert!(stderr.contains(&why), "{extra:?}: {stderr}");
        assert!(!stderr.contains(token.trim_end()), "{stderr}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "left as it is");
    assert_eq!(p.requests(), 1);
    // The account it was made for still gets its token.
    let (code, again, _) = ropc(&args, &p, "", &user);
    assert_eq!((code, again), (0, token));
    tmp.close().unwrap();
}

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn access_output_replaces_the_file_atomically_with_mode_0600_and_leaves_it_on_failure() {
    use std::os::unix::fs::PermissionsExt;
    let p = CREDS.provider();
    let tmp = tempdir("cli-output");
    let dir = tmp.path();
    let store = store_arg(&dir.join("tokens"));
    let out_dir = dir.join("run");
    std::fs::create_dir(&out_dir).unwrap();
    let file = out_dir.join("access-token");
    std::fs::write(&file, "old token\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = store_arg(&file);
    let user = [("ROPC_USERNAME", USER)];
    let args = ["access", "--store", &store, "--output", &output];
    let (code, stdout, stderr) = ropc(&args, &p, PASSWORD, &user);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let token = std::fs::read_to_string(&file).unwrap();
    assert!(token.starts_with("eyJ") && token.ends_with('\n') && token.lines().count() == 1);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        names_in(&out_dir),
        ["access-token"],
        "no temporary file left"
    );
    // `--output=FILE`, before `--store`: the same token (from the store).
    let eq = format!("--output={output}");
    let (code, _, stderr) = ropc(&["access", &eq, "--store", &store], &p, "", &user);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), token);
    // Any failure leaves the file as it was: here a dead refresh token and
    // no password (exit 3), then a provider answering garbage (exit 6).
    expire_stored_token(&dir.join("tokens"), |_| 0);
    p.revoke_refresh_tokens();
    let (code, _, stderr) = ropc(&args, &p, "", &user);
    assert_eq!(code, 3, "{stderr}");
    p.set_misbehavior(Some(ropc::testing::Misbehavior::NotJson));
    let (code, _, stderr) = ropc(&args, &p, PASSWORD, &user);
    assert_eq!(code, 6, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        token,
        "left as it was"
    );
    assert_eq!(names_in(&out_dir), ["access-token"]);
    tmp.close().unwrap();
}

#[test]
fn access_output_refuses_what_the_store_refuses_before_the_password_is_sent() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-output-refused");
    let dir = tmp.path();
    let store = store_arg(&dir.join("tokens"));
    let notes = dir.join("notes");
    write_private(&notes, "my notes\n");
    let link = dir.join("link");
    std::os::unix::fs::symlink(&notes, &link).unwrap();
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let subdir = dir.join("subdir");
    std::fs::create_dir(&subdir).unwrap();
    std::os::unix::fs::symlink(dir, dir.join("alias")).unwrap();
    let user = [("ROPC_USERNAME", USER)];
    let cases = [
        (store_arg(&link), "is a symbolic link"),
        (store_arg(&fifo), "is a FIFO"),
        (store_arg(&subdir), "is a directory"),
        (
            store_arg(&dir.join("missing").join("token")),
            "does not exist",
        ),
        (format!("{}/", store_arg(&subdir)), "names no file"),
        (store.clone(), "the same file"),
        // The same file spelled otherwise, and the store's lock file.
        (
            format!("{}/subdir/../tokens", store_arg(dir)),
            "the same file",
        ),
        (format!("{}/./tokens", store_arg(dir)), "the same file"),
        (format!("{store}.lock"), "the same file"),
        (format!("{}/alias/tokens", store_arg(dir)), "the same file"),
    ];
    for (output, why) in cases {
        let args = ["access", "--store", &store, "--output", &output];
        let (code, stdout, stderr) = ropc(&args, &p, PASSWORD, &user);
        assert_eq!(code, 2, "{output}: {stderr}");
        assert!(
            stderr.contains("--output") && stderr.contains(why),
            "{output}: {stderr}"
        );
        assert!(stdout.is_empty());
    }
    assert_eq!(p.requests(), 0, "the password was sent");
    assert_eq!(std::fs::read(&notes).unwrap(), b"my notes\n");
    assert!(link.symlink_metadata().unwrap().is_symlink());
    assert!(!dir.join("tokens").exists());
    tmp.close().unwrap();
}

/// `ropc access --store STORE` as this client and user, run in `cwd` with
/// the password and a second line on stdin; then the shell reads what is
/// left of stdin and says on stderr whether the password line was still
/// there (ropc reads stdin in chunks: a password it read is gone).
fn access_reading_stdin_after(p: &Provider, cwd: &Path, store: &str) -> cli::Out {
    let script = r#""$0" "$@"; status=$?; IFS= read -r line && [ -n "$line" ] && echo "stdin unread" >&2; exit $status"#;
    let mut cmd = cli::shell_command(
        script,
        &["access", "--store", store],
        &CREDS.login_env(p.url()),
    );
    cmd.current_dir(cwd);
    cli::run(cmd, &format!("{PASSWORD}\nsecond line\n"), HIDDEN)
}

#[test]
fn access_finds_every_store_problem_before_the_password_is_read_or_sent() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-store-problems");
    let dir = tmp.path();
    let cwd = dir.join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let existing = dir.join("existing-dir");
    std::fs::create_dir(&existing).unwrap();
    let missing = dir.join("cache").join("my-app");
    let lock_is_a_dir = dir.join("locked");
    std::fs::create_dir_all(lock_is_a_dir.join("tokens.lock")).unwrap();
    let cases = [
        (
            store_arg(&missing.join("tokens")),
            format!("its directory {} does not exist", missing.display()),
        ),
        (String::new(), "--store is empty".to_owned()),
        (store_arg(&existing), "is a directory".to_owned()),
        (
            format!("{}/", store_arg(&existing)),
            "names no file".to_owned(),
        ),
        (
            format!("{}/new/", dir.display()),
            "names no file".to_owned(),
        ),
        (
            store_arg(&lock_is_a_dir.join("tokens")),
            "lock file".to_owned(),
        ),
    ];
    for (store, why) in cases {
        let out = access_reading_stdin_after(&p, &cwd, &store);
        assert_eq!(out.code, 2, "{store:?}: {}", out.stderr);
        let mut lines = out.stderr.lines();
        let line = lines.next().unwrap_or_default();
        assert!(
            line.starts_with("ropc: ") && line.contains(&why),
            "{store:?}: {}",
            out.stderr
        );
        assert!(
            !line.contains("tokens.lock") || why == "lock file",
            "{store:?}: {line}"
        );
        assert_eq!(
            lines.next(),
            Some("stdin unread"),
            "{store:?}: the password was read"
        );
        assert!(out.stdout.is_empty());
        assert_eq!(p.requests(), 0, "{store:?}: the password was sent");
    }
    assert!(!missing.exists() && !dir.join("new").exists());
    assert_eq!(
        std::fs::read_dir(&cwd).unwrap().count(),
        0,
        "nothing created in the working directory"
    );
    assert_eq!(std::fs::read_dir(&existing).unwrap().count(), 0);
    tmp.close().unwrap();
}

// --- the store never writes through what it did not create ------------------

#[test]
fn logout_refuses_a_symlinked_store_and_leaves_its_target_alone() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-logout-link");
    let dir = tmp.path();
    let link = dir.join("tokens");
    // Any file of the user's, another ropc store among them.
    let other_store = dir.join("other-store");
    FileStore::new(&other_store)
        .save(&StoredTokens::new(
            None,
            Some(Secret::from("rt-other")),
            None,
        ))
        .unwrap();
    let notes = dir.join("notes");
    write_private(&notes, "my notes\n");
    for target in [&notes, &other_store] {
        let before = std::fs::read(target).unwrap();
        std::os::unix::fs::symlink(target, &link).unwrap();
        let (code, _, stderr) = ropc(&["logout", "--store", &store_arg(&link)], &p, "", &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("is a symbolic link"), "{stderr}");
        assert_eq!(std::fs::read(target).unwrap(), before, "target untouched");
        assert!(link.symlink_metadata().unwrap().is_symlink(), "link kept");
        assert!(
            !dir.join("tokens.lock").exists(),
            "nothing created beside it"
        );
        std::fs::remove_file(&link).unwrap();
    }
    tmp.close().unwrap();
}

#[test]
fn access_never_advises_logout_for_a_file_that_is_not_a_ropc_store() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-not-a-store");
    let dir = tmp.path();
    let path = dir.join("tokens");
    let store = store_arg(&path);
    write_private(&path, "my notes\n");
    let user = [("ROPC_USERNAME", USER)];
    let (code, _, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is not a ropc token store; left alone"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("logout"),
        "no destructive advice: {stderr}"
    );
    // Had the user run `ropc logout` anyway, the file survives it.
    let (code, _, stderr) = ropc(&["logout", "--store", &store], &p, "", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("left alone"), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), b"my notes\n");
    // A corrupt ropc store (magic first line) is the one case to advise
    // logout, and logout removes it.
    std::fs::write(&path, "ropc-store 1\nrefresh_token r\n").unwrap();
    let (code, _, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("corrupt") && stderr.contains("ropc logout"),
        "{stderr}"
    );
    let (code, _, stderr) = ropc(&["logout", "--store", &store], &p, "", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!path.exists());
    assert_eq!(p.requests(), 0);
    tmp.close().unwrap();
}

#[test]
fn access_and_logout_refuse_a_fifo_store_promptly() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-fifo");
    let dir = tmp.path();
    let path = dir.join("tokens");
    mkfifo(&path);
    for command in ["access", "logout"] {
        let mut child = ropc_spawn(&[command, "--store", &store_arg(&path)], &p);
        // A watchdog, not a timing assertion: before the fix the child
        // blocked forever in open(2).
        let mut waited = Duration::ZERO;
        while child.try_wait().unwrap().is_none() {
            if waited > Duration::from_secs(20) {
                child.kill().unwrap();
                // Let it go, in case it is still blocked on the FIFO.
                let _ = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&path);
                panic!("`ropc {command}` blocked on a FIFO store");
            }
            std::thread::sleep(Duration::from_millis(20));
            waited += Duration::from_millis(20);
        }
        let out = cli::finish(child, "", HIDDEN);
        assert_eq!(out.code, 2, "{command}: {}", out.stderr);
        assert!(
            out.stderr.contains("is a FIFO"),
            "{command}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
        assert!(
            !dir.join("tokens.lock").exists(),
            "nothing created beside it"
        );
    }
    assert_eq!(p.requests(), 0);
    tmp.close().unwrap();
}

// --- a refresh token that cannot be saved -----------------------------------

/// What a connection-time hook runs: once, on the next connection.
type Hook = Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>;

/// A provider (plain http) that runs the pending hook as a connection
/// arrives: by then `ropc access` has read and locked the store, and it
/// saves only after the answer. Returns the provider, its URL and the hook.
fn hooked_provider() -> (Provider, String, Hook) {
    let hook: Hook = Arc::default();
    let pending = hook.clone();
    let p = CREDS
        .provider_builder()
        // Not TLS: the acceptor passes the connection through, after the hook.
        .tls(Arc::new(move |tcp| {
            if let Some(run) = pending.lock().unwrap().take() {
                run();
            }
            Ok(Box::new(tcp))
        }))
        .start()
        .unwrap();
    let url = format!("http://127.0.0.1:{}/token", p.addr().port());
    (p, url, hook)
}

#[test]
fn access_prints_the_token_and_exits_2_when_the_new_refresh_token_cannot_be_saved() {
    let (p, url, hook) = hooked_provider();
    let tmp = tempdir("cli-save-fails");
    let dir = tmp.path();
    let store_dir = dir.join("store");
    std::fs::create_dir(&store_dir).unwrap();
    let path = store_dir.join("tokens");
    let store = store_arg(&path);
    let env = [("ROPC_TOKEN_URL", url.as_str()), ("ROPC_USERNAME", USER)];
    let (code, first, stderr) = ropc(&["access", "--store", &store], &p, PASSWORD, &env);
    assert_eq!(code, 0, "{stderr}");
    expire_stored_token(&path, |_| 0);
    let stale = FileStore::new(&path).load().unwrap().unwrap();
    // While the refresh is under way, the store's directory goes away (a
    // real failure, whoever runs the test).
    let gone = dir.join("store-gone");
    let (from, to) = (store_dir.clone(), gone.clone());
    *hook.lock().unwrap() = Some(Box::new(move || std::fs::rename(from, to).unwrap()));
    let (code, token, stderr) = ropc(&["access", "--store", &store], &p, "", &env);
    assert!(!store_dir.exists(), "the hook ran");
    assert_eq!(p.refresh_grants(), 1);
    assert_eq!(code, 2, "{stderr}");
    // The token is printed as usual, so `$(ropc access …)` still works…
    assert!(
        token.starts_with("eyJ") && token.ends_with('\n') && token.lines().count() == 1,
        "{token:?}"
    );
    assert_ne!(token, first);
    // …and one line on stderr says what was not saved, and why.
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("could not be saved") && stderr.contains("token store"),
        "{stderr}"
    );
    std::fs::rename(&gone, &store_dir).unwrap();
    assert_eq!(FileStore::new(&path).load().unwrap().unwrap(), stale);
    tmp.close().unwrap();
}
