//! Lower-case hex of bytes: digests in import records, packet files, SARIF fingerprints and
//! redaction tags; and git's abbreviated oids. Below every layer of the data flow, so that
//! sources, population, evidence and reports share one encoder without importing each other.

/// Lower-case hex of `bytes`. A table rather than `format!` per byte: finding ids and
/// fingerprints hash every item of a run, and formatting was a tenth of a 100k-finding `check`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The first 7 characters of an oid, as git prints it (the whole text when shorter).
pub fn short(oid: &str) -> &str {
    oid.get(..7).unwrap_or(oid)
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_lower_case_digits_per_byte() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(super::hex(&[]), "");
        let every: Vec<u8> = (0..=255).collect();
        let slow: String = every.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::hex(&every), slow);
    }

    #[test]
    fn short_oids_are_seven_characters_or_the_whole_text() {
        assert_eq!(super::short("0123456789abcdef"), "0123456");
        assert_eq!(super::short("abc"), "abc");
        // Not a char boundary at 7: the whole text rather than a panic.
        assert_eq!(super::short("ééééé"), "ééééé");
    }
}
