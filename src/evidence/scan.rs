//! The guard's search of one JSON document, string by string, without building it in memory:
//! a `serde` visitor walks the parse and looks at each string and member name as it passes,
//! in document order, stopping at the first credential. A results file of a million items
//! costs its bytes, not a `serde_json::Value` tree several times their size.
//!
//! Field names are spelled as `Guard::scan_value` spells them (`a.b[2].c`, `(member name)`).

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::redact::{Guard, GuardHit, printable};

/// What searching one document found.
pub enum Scanned {
    /// Valid JSON; the first credential, if any.
    Json(Option<GuardHit>),
    /// Not (one valid) JSON document: the caller searches it as text.
    NotJson,
}

/// Searches `bytes`, one JSON document, naming a hit's field after `prefix`.
pub fn scan_json(guard: &Guard, bytes: &[u8], prefix: &str) -> Scanned {
    let mut field = prefix.to_string();
    let mut hit = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Scan {
        guard,
        field: &mut field,
        hit: &mut hit,
    };
    match (seed.deserialize(&mut de), hit) {
        // Stopped at the first hit: the rest is not read.
        (Err(_), Some(hit)) => Scanned::Json(Some(hit)),
        (Err(_), None) => Scanned::NotJson,
        (Ok(()), _) if de.end().is_err() => Scanned::NotJson,
        (Ok(()), _) => Scanned::Json(None),
    }
}

/// Whether `bytes` is one valid JSON document (read without keeping anything).
pub fn is_json(bytes: &[u8]) -> bool {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde::Deserialize::deserialize(&mut de).is_ok_and(|IgnoredAny| de.end().is_ok())
}

struct Scan<'a> {
    guard: &'a Guard,
    field: &'a mut String,
    hit: &'a mut Option<GuardHit>,
}

impl Scan<'_> {
    fn reborrow(&mut self) -> Scan<'_> {
        Scan {
            guard: self.guard,
            field: self.field,
            hit: self.hit,
        }
    }

    /// Records a hit at `field` and stops the parse.
    fn found<E: serde::de::Error>(&mut self, kind: &'static str, field: &str) -> Result<(), E> {
        *self.hit = Some(GuardHit {
            field: Some(printable(field)),
            kind,
        });
        Err(E::custom("credential found"))
    }
}

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: serde::de::Error>(mut self, text: &str) -> Result<(), E> {
        match self.guard.kind_in(text) {
            Some(kind) => {
                let field = self.field.clone();
                self.found(kind, &field)
            }
            None => Ok(()),
        }
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        for i in 0.. {
            let len = self.field.len();
            self.field.push_str(&format!("[{i}]"));
            let more = seq.next_element_seed(self.reborrow())?;
            self.field.truncate(len);
            if more.is_none() {
                break;
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let len = self.field.len();
            if !self.field.is_empty() && !self.field.ends_with(' ') {
                self.field.push('.');
            }
            // A member name that is a credential is named by position, never spelled.
            if let Some(kind) = self.guard.kind_in(&key) {
                let field = format!("{}(member name)", self.field);
                return self.found(kind, &field);
            }
            self.field.push_str(&key);
            map.next_value_seed(self.reborrow())?;
            self.field.truncate(len);
        }
        Ok(())
    }
}
