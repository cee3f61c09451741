//! A JSON run log read item by item: serde_json parses the file on a thread of its own as a
//! stream (the array's items one at a time, never the whole document), and each item, turned
//! into a [`Record`], is handed over a bounded channel to whoever pulls runs from the log. So a
//! JSON log needs the memory of a few items, as a CSV log needs that of a few rows.
//!
//! Errors are the ones a whole-file read gives, found where they are: invalid JSON at its line
//! and column, an item that is not an object or lacks a required key at its item number, a
//! document of another shape at the top level. An object holding `runs` twice is refused (read
//! whole, the last one silently won).

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{ExportError, Field, Record, json_record};
use crate::source::bounded::{Digest, Hashing, ReadError};
use crate::source::table::TableError;

/// Items parsed ahead of the reader.
const AHEAD: usize = 256;

/// What the parsing thread hands over: an item, or the digest of the whole file after the last.
pub(super) enum Parsed {
    Item(Record),
    End(Digest),
}

/// Starts parsing `input` (positioned after any byte order mark, which it hashed) on a thread
/// of its own; the items and the end come out of the receiver, or the first error.
pub(super) fn start(
    file: String,
    input: BufReader<Hashing<File>>,
    fields: &'static [Field],
    wrapper: &'static str,
) -> Receiver<Result<Parsed, ExportError>> {
    let (sender, items) = sync_channel(AHEAD);
    std::thread::spawn(move || {
        let out = Out {
            file: &file,
            fields,
            sender: &sender,
            sent_error: false,
            items: 0,
        };
        let end = parse(out, input, wrapper);
        // A receiver gone (the import stopped) needs nothing more.
        let _ = match end {
            Ok(Some(digest)) => sender.send(Ok(Parsed::End(digest))),
            Ok(None) => Ok(()),
            Err(e) => sender.send(Err(e)),
        };
    });
    items
}

/// Where parsed items go, and whether an error was already sent (then the parse was only
/// being stopped, and its own error says nothing).
struct Out<'a> {
    file: &'a str,
    fields: &'static [Field],
    sender: &'a SyncSender<Result<Parsed, ExportError>>,
    sent_error: bool,
    items: u64,
}

/// Parses the whole input, handing items over; the digest of every byte at the end, `None`
/// when the parse stopped after an error was sent or the receiver went away.
fn parse(
    mut out: Out<'_>,
    mut input: BufReader<Hashing<File>>,
    wrapper: &'static str,
) -> Result<Option<Digest>, ExportError> {
    let file = out.file.to_string();
    let parsed = {
        let mut de = serde_json::Deserializer::from_reader(&mut input);
        Root {
            out: &mut out,
            wrapper,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end())
    };
    if let Err(e) = parsed {
        if out.sent_error {
            return Ok(None);
        }
        return Err(TableError::at(
            &file,
            format!("line {}, column {}", e.line(), e.column()),
            e.to_string(),
        ));
    }
    // `end` read to the end of the input; hash anything a buffer still holds all the same.
    std::io::copy(&mut input, &mut std::io::sink()).map_err(|source| ReadError::Io {
        path: file.clone(),
        source,
    })?;
    Ok(Some(input.into_inner().digest()))
}

impl Out<'_> {
    /// Sends an item; an error to stop the parse if it is not an object with the required
    /// keys (sent first) or if nobody is listening.
    fn item<E: de::Error>(&mut self, item: &Value) -> Result<(), E> {
        self.items += 1;
        let at = format!("item {}", self.items);
        let message = json_record(self.file, at, item, self.fields).map(Parsed::Item);
        let failed = message.is_err();
        if self.sender.send(message).is_err() || failed {
            self.sent_error = true;
            return Err(E::custom("stopped"));
        }
        Ok(())
    }

    /// Sends a top-level problem and stops the parse.
    fn shape<E: de::Error>(&mut self, problem: String) -> E {
        let error = TableError::at(self.file, "top level", problem);
        let _ = self.sender.send(Err(error));
        self.sent_error = true;
        E::custom("stopped")
    }
}

/// The document: an array of items, or an object holding one under `wrapper`.
struct Root<'o, 'a> {
    out: &'o mut Out<'a>,
    wrapper: &'static str,
}

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "an array, or an object with an array under `{}`",
            self.wrapper
        )
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        items(self.out, seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key != self.wrapper {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if found {
                let problem = format!("`{}` appears twice", self.wrapper);
                return Err(self.out.shape(problem));
            }
            found = true;
            map.next_value_seed(Items {
                out: &mut *self.out,
                wrapper: self.wrapper,
            })?;
        }
        if !found {
            return Err(self.out.shape(wrapped(self.wrapper)));
        }
        Ok(())
    }
}

fn wrapped(wrapper: &str) -> String {
    format!("expected an array, or an object with an array under `{wrapper}`")
}

/// The array under the wrapper key; anything else there is a top-level problem.
struct Items<'o, 'a> {
    out: &'o mut Out<'a>,
    wrapper: &'static str,
}

impl<'de> DeserializeSeed<'de> for Items<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        items(self.out, seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.out.shape(wrapped(self.wrapper)))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.out.shape(wrapped(self.wrapper)))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.out.shape(wrapped(self.wrapper)))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.out.shape(wrapped(self.wrapper)))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.out.shape(wrapped(self.wrapper)))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.out.shape(wrapped(self.wrapper)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(self.out.shape(wrapped(self.wrapper)))
    }
}

/// Hands over each item of an array as it is parsed.
fn items<'de, A: SeqAccess<'de>>(out: &mut Out<'_>, mut seq: A) -> Result<(), A::Error> {
    while let Some(item) = seq.next_element::<Value>()? {
        out.item::<A::Error>(&item)?;
    }
    Ok(())
}
