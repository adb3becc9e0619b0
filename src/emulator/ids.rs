//! Deterministic ids: the same seed gives the same ids on every run and every machine.

/// A GUID derived from `parts` with a 128-bit FNV-1a hash, shaped as a version-4 UUID.
pub fn det_uuid(parts: &[&str]) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut h = OFFSET;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h ^= 0x1f;
            h = h.wrapping_mul(PRIME);
        }
        for b in p.as_bytes() {
            h ^= u128::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    }
    uuid::Builder::from_random_bytes(h.to_be_bytes())
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = det_uuid(&["tenant", "user", "alice"]);
        assert_eq!(a, det_uuid(&["tenant", "user", "alice"]));
        assert_ne!(a, det_uuid(&["tenant", "user", "alicf"]));
        assert_ne!(det_uuid(&["ab", "c"]), det_uuid(&["a", "bc"]));
        assert_eq!(uuid::Uuid::parse_str(&a).unwrap().get_version_num(), 4);
    }
}
