//! Reading files defensively: regular files only (a FIFO would block a read forever), and a leading byte-order
//! mark accepted.

use std::path::Path;

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
}
