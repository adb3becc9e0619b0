//! The policy loader must never panic, whatever the bytes: every input ends in diagnostics or a state.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use pimctl::language::{LoadOptions, load_str};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = LoadOptions {
        now: Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap(),
    };
    let loaded = load_str("fuzz.yaml", text, &options);
    // Rendering must not panic either.
    let _ = loaded.diagnostics.render_text(false);
    let _ = loaded.diagnostics.render_json();
});
