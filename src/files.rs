//! Files, defensively. Reading: regular files only (a FIFO would block a read forever), a leading byte-order mark
//! accepted. Writing: whole or not at all, a file ([`write_file`]) or a directory of them ([`StagedDir`]).

use std::io::Write;
use std::path::{Path, PathBuf};

/// What `path` is when it is not a regular file (following symbolic links): `None` for a regular file, and for
/// anything that cannot be inspected (the read that follows reports why).
pub fn not_a_regular_file(path: &Path) -> Option<&'static str> {
    let ft = std::fs::metadata(path).ok()?.file_type();
    if ft.is_file() {
        return None;
    }
    if ft.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
        if ft.is_block_device() || ft.is_char_device() {
            return Some("a device");
        }
    }
    Some("a special file")
}

/// The text without a leading UTF-8 byte-order mark, which YAML allows and Windows tools (PowerShell 5.1's
/// `Out-File -Encoding utf8`, Notepad) write.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A name for a temporary entry beside `target`: hidden, naming its purpose and this process, so that two runs and
/// two targets never share one (`plan.json` and `plan.txt` would, with a changed extension).
fn temp_beside(target: &Path, purpose: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    target.with_file_name(format!(".{name}.pimctl-{purpose}-{}", std::process::id()))
}

/// Writes a file whole or not at all: a temporary file beside it, flushed to disk, then renamed over it. On any
/// failure the temporary file is removed and `path` is as it was.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = temp_beside(path, "tmp");
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Whether [`write_file`] could write `path`: its temporary file is created, then removed. For an output that
/// must not be found unwritable after the work is done (apply's `--log`).
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Err(std::io::Error::from(std::io::ErrorKind::IsADirectory));
    }
    let tmp = temp_beside(path, "tmp");
    std::fs::File::create(&tmp)?;
    std::fs::remove_file(&tmp)
}

/// A directory written all or nothing: files go into a temporary directory beside the target, which
/// [`StagedDir::commit`] renames into place. Dropped without a commit, it takes the temporary directory away and
/// leaves the target untouched.
pub struct StagedDir {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Makes the temporary directory (and the target's parent directories), so that a place that cannot be written
    /// is found at once.
    pub fn new(target: &Path) -> std::io::Result<Self> {
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = temp_beside(target, "import");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir(&tmp)?;
        Ok(Self {
            tmp,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Writes one file (a plain name, no directories) into the staged directory.
    pub fn write(&self, name: &str, text: &str) -> std::io::Result<()> {
        let mut f = std::fs::File::create(self.tmp.join(name))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    }

    /// Puts the files in place. A target that is absent or empty is replaced by the staged directory in one rename:
    /// all the files appear at once. Into a non-empty target (`import --force`), whose other files must survive,
    /// each file is renamed in: every file is whole, old or new, never half-written.
    pub fn commit(mut self) -> std::io::Result<()> {
        let empty = match std::fs::read_dir(&self.target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(e),
            Ok(mut entries) => {
                let empty = entries.next().is_none();
                if empty {
                    std::fs::remove_dir(&self.target)?;
                }
                empty
            }
        };
        if empty {
            std::fs::rename(&self.tmp, &self.target)?;
        } else {
            for entry in std::fs::read_dir(&self.tmp)? {
                let entry = entry?;
                std::fs::rename(entry.path(), self.target.join(entry.file_name()))?;
            }
            std::fs::remove_dir(&self.tmp)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bom_is_dropped_and_nothing_else() {
        assert_eq!(without_bom("\u{feff}version: 1"), "version: 1");
        assert_eq!(without_bom("version: 1\u{feff}"), "version: 1\u{feff}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_and_a_directory_are_named_without_being_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("policy.yaml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(not_a_regular_file(&fifo), Some("a named pipe (FIFO)"));
        assert_eq!(not_a_regular_file(dir.path()), Some("a directory"));
        let file = dir.path().join("ok.yaml");
        std::fs::write(&file, "x").unwrap();
        assert_eq!(not_a_regular_file(&file), None);
    }

    #[test]
    fn a_staged_directory_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("policies");
        // Not committed: nothing is left, not even the temporary directory.
        {
            let staged = StagedDir::new(&target).unwrap();
            staged.write("a.yaml", "a").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // Committed into an absent target.
        let staged = StagedDir::new(&target).unwrap();
        staged.write("a.yaml", "a").unwrap();
        staged.write("b.yaml", "b").unwrap();
        assert!(!target.exists(), "nothing appears before the commit");
        staged.commit().unwrap();
        assert_eq!(std::fs::read_to_string(target.join("b.yaml")).unwrap(), "b");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // Into a non-empty target (--force): other files survive, ours are replaced.
        std::fs::write(target.join("mine.txt"), "keep").unwrap();
        let staged = StagedDir::new(&target).unwrap();
        staged.write("a.yaml", "new").unwrap();
        staged.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("a.yaml")).unwrap(),
            "new"
        );
        assert_eq!(
            std::fs::read_to_string(target.join("mine.txt")).unwrap(),
            "keep"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn a_file_write_that_fails_leaves_no_temporary_and_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("plan.json");
        std::fs::write(&target, "old").unwrap();
        write_file(&target, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A directory where the file should go: the rename fails, and the temporary file goes.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("x"), "x").unwrap();
        assert!(write_file(&blocked, "new").is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
