//! Results folders written whole. A run's files go into a temporary folder beside the target
//! (`.<name>.safetynet-tmp`), which also holds the run's checkpoints; when every file is
//! written the temporary folder takes the target's place in one step (on Linux an atomic
//! exchange of the two folders, elsewhere the old folder is renamed aside first), and the old
//! folder is removed. So a reader sees the previous complete folder or the new complete one,
//! never a mix, and a folder reused by another run never keeps a stale file.
//!
//! A run that is killed leaves its temporary folder; the next run into the same target
//! removes it (or, with `--resume`, continues from its checkpoints) and puts back a previous
//! folder that a kill left aside. An error removes everything the run created.
//!
//! Tests can stop the process after the k-th write, rename or removal with
//! `SAFETYNET_FAULT_AFTER=k` (the process aborts as if killed).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Files a results folder may hold: anything else in a target folder means it is not one of
/// ours, and it is never replaced.
pub const KNOWN_FILES: &[&str] = &[
    "summary.csv",
    "replications.csv",
    "manifest.json",
    "deltas.csv",
    "incidence.csv",
    "sweep.csv",
    "report.html",
    "shard.json",
    "reps",
    "backtest.csv",
    "backtest-changes.csv",
    "solve.csv",
    "overrun.csv",
    "exceedance.csv",
];

/// Suffix of a run's temporary folder beside its target.
pub const TMP_SUFFIX: &str = ".safetynet-tmp";
/// Suffix of a previous folder set aside while a new one takes its place.
pub const OLD_SUFFIX: &str = ".safetynet-old";
/// Sub-folder of the temporary folder holding checkpoints (removed before the commit).
pub const CHECKPOINT_DIR: &str = "checkpoint";

/// In the temporary folder: the process id of the run writing it (removed before the commit).
const LOCK: &str = ".safetynet-lock.tmp";

static STEPS: AtomicU64 = AtomicU64::new(0);

/// The process still writing the temporary folder `tmp`, if its lock names a live safetynet
/// process other than this one (a killed run's lock names a dead one).
fn live_owner(tmp: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(tmp.join(LOCK))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    if pid == std::process::id() {
        return None;
    }
    if cfg!(target_os = "linux") {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        comm.starts_with("safetynet").then_some(pid)
    } else {
        None
    }
}

/// Count one write, rename or removal; abort when `SAFETYNET_FAULT_AFTER` says so.
pub fn fault_point() {
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    let limit = *LIMIT.get_or_init(|| {
        std::env::var("SAFETYNET_FAULT_AFTER")
            .ok()
            .and_then(|v| v.trim().parse().ok())
    });
    let n = STEPS.fetch_add(1, Ordering::SeqCst) + 1;
    if limit == Some(n) {
        eprintln!("safetynet: SAFETYNET_FAULT_AFTER={n}: aborting (fault injection)");
        std::process::abort();
    }
}

fn write_err(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The folder a path lives in (`.` for a bare name).
pub fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Create `dir` and its missing ancestors for the output `what`; returns the first one
/// created (to remove if the run fails), or `None` when `dir` existed.
fn create_dirs(dir: &Path, what: &Path) -> Result<Option<PathBuf>> {
    if dir.is_dir() {
        return Ok(None);
    }
    let mut first = dir.to_path_buf();
    let mut p = dir.to_path_buf();
    while let Some(up) = p.parent().filter(|u| !u.as_os_str().is_empty()) {
        if up.exists() {
            break;
        }
        first = up.to_path_buf();
        p = up.to_path_buf();
    }
    if let Some(file) = dir.ancestors().find(|a| a.is_file()) {
        return Err(write_err(
            what,
            std::io::Error::other(format!("{} is a file, not a folder", file.display())),
        ));
    }
    fault_point();
    std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
    Ok(Some(first))
}

/// Remove folders this run created, innermost first, as long as they are empty.
fn remove_created(first: &Option<PathBuf>, dir: &Path) {
    let Some(first) = first else { return };
    for d in dir.ancestors() {
        if std::fs::remove_dir(d).is_err() || d == first.as_path() {
            break;
        }
    }
}

/// Check that `dir` accepts files (a probe written and removed).
fn probe(dir: &Path) -> Result<()> {
    let p = dir.join(".safetynet-write-check.tmp");
    std::fs::write(&p, b"ok").map_err(|e| write_err(dir, e))?;
    let _ = std::fs::remove_file(p);
    Ok(())
}

/// A results folder being written: files go to [`Staged::path`] until [`Staged::commit`].
#[derive(Debug)]
pub struct Staged {
    target: PathBuf,
    tmp: PathBuf,
    old: PathBuf,
    created: Option<PathBuf>,
    done: bool,
}

/// The temporary and set-aside folders of `target`.
fn side_paths(target: &Path) -> Result<(PathBuf, PathBuf)> {
    let name = match target.file_name() {
        Some(n) => n.to_string_lossy().to_string(),
        _ => {
            return Err(Error::Usage(format!(
                "--out `{}`: name a results folder (not `.`, `..` or a root)",
                target.display()
            )))
        }
    };
    let parent = parent_of(target);
    Ok((
        parent.join(format!(".{name}{TMP_SUFFIX}")),
        parent.join(format!(".{name}{OLD_SUFFIX}")),
    ))
}

/// Whether `name` is a leftover temporary file of an older safetynet.
fn is_tmp_leftover(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

/// Check that `target` can be replaced by a results folder: missing, or a folder holding
/// nothing but files safetynet writes.
pub fn check_target(target: &Path) -> Result<()> {
    if target.is_file() || (target.exists() && !target.is_dir()) {
        return Err(Error::Usage(format!(
            "--out {}: is a file, not a folder; give a folder for the results",
            target.display()
        )));
    }
    if target.is_dir() {
        let entries = std::fs::read_dir(target).map_err(|source| Error::Read {
            path: target.to_path_buf(),
            source,
        })?;
        for e in entries {
            let e = e.map_err(|source| Error::Read {
                path: target.to_path_buf(),
                source,
            })?;
            let name = e.file_name().to_string_lossy().to_string();
            // Ours are files, except the shard's `reps` folder: a folder by another name
            // (say `summary.csv/`) is the user's and is never removed.
            let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(true);
            let ours = (KNOWN_FILES.contains(&name.as_str()) && (is_dir == (name == "reps")))
                || (is_tmp_leftover(&name) && !is_dir);
            if !ours {
                return Err(Error::Usage(format!(
                    "--out {}: the folder holds `{name}`, which safetynet did not write; a \
                     results folder is replaced whole, so give a new or empty folder (or one \
                     a former run wrote)",
                    target.display()
                )));
            }
        }
    }
    Ok(())
}

impl Staged {
    /// Check `target` and prepare its temporary folder, before any long work starts. Puts
    /// back a folder a killed run left aside and removes a killed run's temporary folder,
    /// unless `resume` asks to continue from its checkpoints.
    pub fn begin(target: &Path, resume: bool) -> Result<Staged> {
        let (tmp, old) = side_paths(target)?;
        if let Some(pid) = live_owner(&tmp) {
            return Err(Error::Usage(format!(
                "--out {}: another safetynet run (process {pid}) is writing this folder; wait \
                 for it to finish or stop it, or choose another --out",
                target.display()
            )));
        }
        if old.is_dir() {
            fault_point();
            if target.exists() {
                std::fs::remove_dir_all(&old).map_err(|e| write_err(&old, e))?;
            } else {
                std::fs::rename(&old, target).map_err(|e| write_err(target, e))?;
            }
        }
        check_target(target)?;
        let created = create_dirs(&parent_of(target), target)?;
        let mut staged = Staged {
            target: target.to_path_buf(),
            tmp,
            old,
            created,
            done: false,
        };
        if staged.tmp.exists() && !resume {
            fault_point();
            remove_any(&staged.tmp)?;
        } else if staged.tmp.is_dir() {
            // Resuming continues from the checkpoints alone: results files the killed run had
            // already written (say an overrun.csv of options the resumed run lacks) must not
            // reach the new folder.
            let entries = std::fs::read_dir(&staged.tmp).map_err(|source| Error::Read {
                path: staged.tmp.clone(),
                source,
            })?;
            for e in entries.flatten() {
                if e.file_name() != CHECKPOINT_DIR && e.file_name() != LOCK {
                    fault_point();
                    remove_any(&e.path())?;
                }
            }
        }
        if !staged.tmp.is_dir() {
            if staged.tmp.exists() {
                remove_any(&staged.tmp)?;
            }
            fault_point();
            std::fs::create_dir(&staged.tmp).map_err(|e| write_err(&staged.tmp, e))?;
        }
        let locked = std::fs::write(
            staged.tmp.join(LOCK),
            std::process::id().to_string().as_bytes(),
        );
        if let Err(e) = locked {
            staged.abandon();
            return Err(write_err(&staged.tmp, e));
        }
        Ok(staged)
    }

    /// The temporary folder files are written into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The folder the results will be in.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The checkpoint folder (created on demand).
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.tmp.join(CHECKPOINT_DIR)
    }

    /// Write one file of the results.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        // Only names in KNOWN_FILES: a reused folder is emptied of exactly those, so a name
        // outside the list would make the next run refuse (or, worse, keep) it.
        let first = name.split('/').next().unwrap_or(name);
        if !KNOWN_FILES.contains(&first) {
            return Err(Error::Internal(format!(
                "results file `{name}` is not in folder::KNOWN_FILES"
            )));
        }
        fault_point();
        let p = self.tmp.join(name);
        if let Some(dir) = p.parent().filter(|d| !d.is_dir()) {
            std::fs::create_dir_all(dir).map_err(|e| write_err(&self.target.join(name), e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| write_err(&self.target.join(name), e))
    }

    /// Put the finished folder in the target's place and remove the previous one.
    pub fn commit(mut self) -> Result<()> {
        let ck = self.checkpoint_dir();
        if ck.exists() {
            fault_point();
            std::fs::remove_dir_all(&ck).map_err(|e| write_err(&ck, e))?;
        }
        // A lock left by a kill from here on names a dead process: harmless.
        let _ = std::fs::remove_file(self.tmp.join(LOCK));
        if self.target.exists() {
            if exchange(&self.tmp, &self.target).is_ok() {
                // The previous folder is now at the temporary name.
                self.done = true;
                fault_point();
                remove_any(&self.tmp)?;
                return Ok(());
            }
            fault_point();
            std::fs::rename(&self.target, &self.old).map_err(|e| write_err(&self.target, e))?;
            fault_point();
            std::fs::rename(&self.tmp, &self.target).map_err(|e| write_err(&self.target, e))?;
            self.done = true;
            fault_point();
            remove_any(&self.old)?;
        } else {
            fault_point();
            std::fs::rename(&self.tmp, &self.target).map_err(|e| write_err(&self.target, e))?;
            self.done = true;
        }
        Ok(())
    }

    /// Remove the temporary folder and any folder this run created.
    fn abandon(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.tmp);
            remove_created(&self.created, &parent_of(&self.target));
            self.done = true;
        }
    }
}

impl Drop for Staged {
    /// A run that fails with an error leaves nothing behind (a killed one cannot clean up;
    /// the next run does).
    fn drop(&mut self) {
        self.abandon();
    }
}

fn remove_any(p: &Path) -> Result<()> {
    let r = if p.is_dir() {
        std::fs::remove_dir_all(p)
    } else {
        std::fs::remove_file(p)
    };
    r.map_err(|e| write_err(p, e))
}

/// Swap two folders atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    fault_point();
    // SAFETY: two valid NUL-terminated paths; the call reads them and touches no memory of ours.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Elsewhere there is no atomic exchange: the caller renames the old folder aside.
#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Output files that are written together or not at all (calibrate's scenario and fit
/// table): every path is checked before the work starts, every file is written to a
/// temporary name first, and nothing is left when a write fails.
#[derive(Debug)]
pub struct StagedFiles {
    /// (option name, path)
    files: Vec<(String, PathBuf)>,
    created: Vec<(Option<PathBuf>, PathBuf)>,
    done: bool,
}

impl StagedFiles {
    /// Check every output path now: not a folder, distinct, its folder creatable and writable.
    pub fn check(files: &[(&str, &Path)]) -> Result<StagedFiles> {
        let mut out = StagedFiles {
            files: Vec::new(),
            created: Vec::new(),
            done: false,
        };
        for (i, (flag, path)) in files.iter().enumerate() {
            if path.is_dir() || path.file_name().is_none() {
                return Err(Error::Usage(format!(
                    "{flag} {}: is a folder; give a file path",
                    path.display()
                )));
            }
            if let Some((other, _)) = files[..i].iter().find(|(_, p)| p == path) {
                return Err(Error::Usage(format!(
                    "{flag} {}: the same file as {other}; give two different files",
                    path.display()
                )));
            }
            let dir = parent_of(path);
            let created = create_dirs(&dir, path)?;
            out.created.push((created, dir.clone()));
            probe(&dir)?;
            out.files.push((flag.to_string(), path.to_path_buf()));
        }
        Ok(out)
    }

    fn tmp_of(p: &Path) -> PathBuf {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        p.with_file_name(format!(".{name}{TMP_SUFFIX}"))
    }

    /// Write every file (`contents` in the order of [`StagedFiles::check`]).
    pub fn write_all(mut self, contents: &[&[u8]]) -> Result<()> {
        for ((_, p), bytes) in self.files.iter().zip(contents) {
            fault_point();
            std::fs::write(Self::tmp_of(p), bytes).map_err(|e| write_err(p, e))?;
        }
        for (_, p) in &self.files {
            if p.is_dir() {
                return Err(Error::Usage(format!(
                    "{}: became a folder during the run",
                    p.display()
                )));
            }
        }
        for (_, p) in &self.files {
            fault_point();
            std::fs::rename(Self::tmp_of(p), p).map_err(|e| write_err(p, e))?;
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        for (_, p) in &self.files {
            let _ = std::fs::remove_file(Self::tmp_of(p));
        }
        for (created, dir) in self.created.iter().rev() {
            remove_created(created, dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_the_whole_folder() {
        let d = tempfile::TempDir::new().unwrap();
        let t = d.path().join("r");
        std::fs::create_dir(&t).unwrap();
        std::fs::write(t.join("report.html"), "old").unwrap();
        std::fs::write(t.join("summary.csv"), "old").unwrap();
        let s = Staged::begin(&t, false).unwrap();
        s.write("summary.csv", b"new").unwrap();
        s.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(t.join("summary.csv")).unwrap(),
            "new"
        );
        assert!(!t.join("report.html").exists());
        let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the results folder remains");
    }

    #[test]
    fn a_folder_with_foreign_files_is_never_replaced() {
        let d = tempfile::TempDir::new().unwrap();
        std::fs::write(d.path().join("thesis.tex"), "mine").unwrap();
        let e = Staged::begin(d.path(), false).unwrap_err().to_string();
        assert!(e.contains("thesis.tex"), "{e}");
    }

    #[test]
    fn a_former_results_folder_may_hold_other_commands_outputs_but_not_the_users() {
        let d = tempfile::TempDir::new().unwrap();
        for name in ["manifest.json", "solve.csv", "backtest.csv", "overrun.csv"] {
            std::fs::write(d.path().join(name), "x").unwrap();
        }
        check_target(d.path()).unwrap();
        // Output-like by its extension, but no command writes it: the user's, whatever the
        // manifest says.
        std::fs::write(d.path().join("my-analysis.csv"), "mine").unwrap();
        let e = check_target(d.path()).unwrap_err().to_string();
        assert!(e.contains("my-analysis.csv"), "{e}");
    }

    #[test]
    fn staged_write_refuses_a_name_outside_the_known_files() {
        let d = tempfile::TempDir::new().unwrap();
        let st = Staged::begin(&d.path().join("out"), false).unwrap();
        st.write("summary.csv", b"x").unwrap();
        assert!(st.write("notes.txt", b"x").is_err());
    }

    #[test]
    fn an_error_leaves_nothing() {
        let d = tempfile::TempDir::new().unwrap();
        let t = d.path().join("a/b/r");
        let s = Staged::begin(&t, false).unwrap();
        s.write("summary.csv", b"x").unwrap();
        drop(s);
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }
}
