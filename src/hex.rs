//! Lower-case hex of bytes: digests in import records, packet files, SARIF fingerprints and
//! redaction tags. Below every layer of the data flow, so that sources, population, evidence
//! and reports share one encoder without importing each other.

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_lower_case_digits_per_byte() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(super::hex(&[]), "");
    }
}
