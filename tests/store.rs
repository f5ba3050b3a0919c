//! The file store's rules, against the real things: symbolic links, FIFOs,
//! directories, devices, files of another user in a sticky world-writable
//! directory, and other processes. The store never writes through what it did
//! not create, and wipes only what it can read back as a ropc store.

mod common;

use ropc::{FileStore, Secret, StoredTokens, TokenStore};

use common::tempdir;

fn sample() -> StoredTokens {
    StoredTokens {
        access_token: Some(Secret::from("eyJ.a.b")),
        refresh_token: Some(Secret::from("rt-sample")),
        expires_at: Some(1_700_000_000),
    }
}

#[test]
fn a_planted_temporary_file_cannot_make_a_save_fail() {
    let dir = tempdir("store-planted-temp");
    let path = dir.join("tokens");
    let victim_path = dir.join("victim");
    std::fs::write(&victim_path, "kept").unwrap();
    // Temporary names were `.tokens.tmp.PID.N`: plant the first ones for this
    // process, as files and as symlinks to a victim.
    let pid = std::process::id();
    for n in 0..2_000 {
        let planted = dir.join(format!(".tokens.tmp.{pid}.{n}"));
        if n % 2 == 0 {
            std::fs::write(planted, "").unwrap();
        } else {
            std::os::unix::fs::symlink(&victim_path, planted).unwrap();
        }
    }
    let store = FileStore::new(&path);
    for _ in 0..10 {
        store.save(&sample()).unwrap();
    }
    assert_eq!(store.load().unwrap(), Some(sample()));
    assert_eq!(std::fs::read(&victim_path).unwrap(), b"kept");
    std::fs::remove_dir_all(dir).unwrap();
}
