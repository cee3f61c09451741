//! Reading one YAML file into a JSON value plus an index of where every value came from.
//!
//! Validation works on `serde_json::Value` (so the JSON Schema can check it), and every problem
//! it finds is a JSON pointer. The `SpanIndex` maps each pointer back to a line and column, so
//! a schema error, a semantic error and a parse error all point at the same kind of place.
//!
//! Hostile input is bounded before and during parsing: size, binary content, encoding, nesting,
//! aliases and total node count all have budgets, and a breach is a diagnostic, never a panic.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;
use serde_saphyr::options::DuplicateKeyPolicy;

use crate::diagnostics::{Diagnostic, Location, SourceText};

/// Control and policy files are hand-written; anything this large is a mistake or an attack.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
const MAX_DEPTH: usize = 48;
const MAX_NODES: usize = 200_000;
const MAX_ALIASES: usize = 1_000;

/// A parsed YAML document: its text, its value, and where each value is.
#[derive(Debug, Clone)]
pub struct Document {
    pub source: Arc<SourceText>,
    pub value: Value,
    pub spans: SpanIndex,
}

/// Where each value (by JSON pointer) sits in the file, and its dotted display path.
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    entries: BTreeMap<String, SpanEntry>,
}

#[derive(Debug, Clone)]
struct SpanEntry {
    key: Option<Location>,
    value: Location,
    display: String,
}

impl SpanIndex {
    /// Location of the value at `pointer`, or of the nearest enclosing value that exists
    /// (a missing key is reported where its parent mapping is).
    pub fn value_at(&self, pointer: &str) -> Option<Location> {
        self.nearest(pointer).map(|e| e.value)
    }

    /// Location of the key whose value is at `pointer` (for unknown or misspelt keys).
    pub fn key_at(&self, pointer: &str) -> Option<Location> {
        self.nearest(pointer).map(|e| e.key.unwrap_or(e.value))
    }

    /// The dotted path a user reads (`rules[0].kind`) for a JSON pointer.
    pub fn display_path(&self, pointer: &str) -> String {
        match self.entries.get(pointer) {
            Some(entry) => entry.display.clone(),
            None => display_from_pointer(pointer),
        }
    }

    fn nearest(&self, pointer: &str) -> Option<&SpanEntry> {
        let mut p = pointer;
        loop {
            if let Some(e) = self.entries.get(p) {
                return Some(e);
            }
            p = &p[..p.rfind('/')?];
        }
    }
}

impl Document {
    /// Parses `bytes` as one YAML document. `name` is the path shown to the user.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Document, Box<Diagnostic>> {
        let text = check_text(name, bytes)?;
        let source = Arc::new(SourceText {
            name: name.to_string(),
            text: text.to_string(),
        });
        let root: Spanned<Node> = serde_saphyr::from_str_with_options(&source.text, options())
            .map_err(|e| Box::new(parse_diagnostic(&source, &e)))?;
        let mut spans = SpanIndex::default();
        let value = index(&source.text, "", "", None, root, &mut spans);
        if value.is_null() {
            return Err(Box::new(
                Diagnostic::error("empty-file", name, "the file holds no YAML document")
                    .help("write a mapping such as `id: CM-01` (see controls/ for examples)"),
            ));
        }
        Ok(Document {
            source,
            value,
            spans,
        })
    }

    /// A diagnostic pointing at the value at `pointer`.
    pub fn error_at(
        &self,
        code: &'static str,
        pointer: &str,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.place(
            Diagnostic::error(code, "", message),
            pointer,
            self.spans.value_at(pointer),
        )
    }

    /// A warning pointing at the value at `pointer`.
    pub fn warning_at(
        &self,
        code: &'static str,
        pointer: &str,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.place(
            Diagnostic::warning(code, "", message),
            pointer,
            self.spans.value_at(pointer),
        )
    }

    /// A diagnostic pointing at the key of the value at `pointer`.
    pub fn error_at_key(
        &self,
        code: &'static str,
        pointer: &str,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.place(
            Diagnostic::error(code, "", message),
            pointer,
            self.spans.key_at(pointer),
        )
    }

    fn place(&self, d: Diagnostic, pointer: &str, at: Option<Location>) -> Diagnostic {
        d.at(&self.source, at)
            .with_path(self.spans.display_path(pointer))
    }
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_aliases: MAX_ALIASES,
            max_anchors: MAX_ALIASES,
            max_documents: 1,
            max_total_scalar_bytes: MAX_FILE_BYTES,
        },
        // Alias replay has its own limit (default: a million events); a hand-written file
        // replays no more nodes than it may hold, so a "billion laughs" stops sooner.
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_NODES,
        },
        duplicate_keys: DuplicateKeyPolicy::Error,
        strict_booleans: true,
    }
}

/// Rejects what cannot be a hand-written YAML file before the parser sees it, with the
/// position of the first bad byte where there is one.
fn check_text<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, Box<Diagnostic>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Box::new(too_large(name, bytes.len() as u64)));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Box::new(Diagnostic::error("empty-file", name, "the file is empty")
            .help("write a mapping such as `id: CM-01` (see controls/ for examples), or delete the file")));
    }
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(Box::new(byte_error(
            "binary-file",
            name,
            bytes,
            at,
            "the file contains a NUL byte: it is binary, not YAML",
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Box::new(byte_error(
            "invalid-utf8",
            name,
            bytes,
            e.valid_up_to(),
            "the file is not valid UTF-8",
        ))
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// The diagnostic for a file over `MAX_FILE_BYTES`, given its real size.
pub fn too_large(name: &str, size: u64) -> Diagnostic {
    let mib = |n: u64| n as f64 / (1024.0 * 1024.0);
    Diagnostic::error(
        "file-too-large",
        name,
        format!(
            "the file is {:.1} MiB; control and policy files are limited to {:.0} MiB",
            mib(size),
            mib(MAX_FILE_BYTES as u64)
        ),
    )
    .help("split it into several files in the same directory")
}

fn byte_error(
    code: &'static str,
    name: &str,
    bytes: &[u8],
    at: usize,
    message: &str,
) -> Diagnostic {
    let before = &bytes[..at];
    let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u64
        + 1;
    let mut d = Diagnostic::error(
        code,
        name,
        format!("{message} (first bad byte at offset {at})"),
    )
    .help("save the file as UTF-8 text");
    d.location = Some(Location {
        line,
        column,
        offset: at,
        len: 1,
    });
    d
}

fn parse_diagnostic(source: &Arc<SourceText>, err: &serde_saphyr::Error) -> Diagnostic {
    let location = err.location().map(|l| location(&source.text, l));
    let message = first_line(&err.without_snippet().to_string());
    let (code, help) = if message.contains("budget") || message.contains("limit") {
        (
            "yaml-too-complex",
            "control and policy files need no deep nesting or alias expansion; write the values out plainly",
        )
    } else if message.contains("duplicate") {
        (
            "duplicate-key",
            "each key may appear once in a mapping; remove or rename one",
        )
    } else {
        (
            "yaml-syntax",
            "check indentation and quoting on this line and the one before it",
        )
    };
    Diagnostic::error(code, "", message)
        .at(source, location)
        .help(help)
}

fn first_line(s: &str) -> String {
    // serde-saphyr's message may repeat the position ("at line 3 column 1"); ours is in front.
    let line = s.lines().next().unwrap_or(s);
    match line.find(" at line ") {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

fn location(text: &str, loc: serde_saphyr::Location) -> Location {
    let span = loc.span();
    let offset = span
        .byte_offset()
        .map(|o| o as usize)
        .unwrap_or_else(|| byte_offset_of(text, loc.line(), loc.column()));
    Location {
        line: loc.line(),
        column: loc.column(),
        offset: offset.min(text.len()),
        len: span.byte_len().unwrap_or(1) as usize,
    }
}

fn byte_offset_of(text: &str, line: u64, column: u64) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let col: usize = text[line_start.min(text.len())..]
        .chars()
        .take(column.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    line_start + col
}

/// Converts the spanned tree into a JSON value, recording each value's place as it goes.
fn index(
    text: &str,
    pointer: &str,
    display: &str,
    key: Option<Location>,
    node: Spanned<Node>,
    spans: &mut SpanIndex,
) -> Value {
    let value_loc = location(text, node.referenced);
    spans.entries.insert(
        pointer.to_string(),
        SpanEntry {
            key,
            value: value_loc,
            display: display.to_string(),
        },
    );
    match node.value {
        Node::Scalar(v) => v,
        Node::Seq(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    index(
                        text,
                        &format!("{pointer}/{i}"),
                        &format!("{display}[{i}]"),
                        None,
                        item,
                        spans,
                    )
                })
                .collect(),
        ),
        Node::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                let child_ptr = format!("{pointer}/{}", escape(&k.value));
                let child_display = if display.is_empty() {
                    k.value.clone()
                } else {
                    format!("{display}.{}", k.value)
                };
                let key_loc = location(text, k.referenced);
                let child = index(text, &child_ptr, &child_display, Some(key_loc), v, spans);
                map.insert(k.value, child);
            }
            Value::Object(map)
        }
    }
}

/// Escapes a mapping key as one JSON-pointer segment (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn display_from_pointer(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.bytes().all(|b| b.is_ascii_digit()) && !seg.is_empty() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

/// A YAML node with its children's spans. Built by serde-saphyr through `Spanned`, so the
/// parser's budgets (depth, aliases, node count) bound it.
enum Node {
    Scalar(Value),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Null))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Number(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Number(v.into())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Number::from_f64(v)
            .map(|n| Node::Scalar(Value::Number(n)))
            .ok_or_else(|| E::custom("non-finite numbers (.inf, .nan) are not allowed"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Scalar(Value::String(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Scalar(Value::String(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            let key = Spanned::new(key.value.0, key.referenced, key.defined);
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

/// A mapping key: any scalar, read as the text the user typed (`1:` is the key "1").
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = KeyText;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a plain key (text, number or boolean)")
    }
    fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
        Ok(KeyText(v.to_string()))
    }
    fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
        Ok(KeyText(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
        Ok(KeyText(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
        Ok(KeyText(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<KeyText, E> {
        Ok(KeyText(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<KeyText, E> {
        Ok(KeyText("null".to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Document, Box<Diagnostic>> {
        Document::parse("t.yaml", text.as_bytes())
    }

    #[test]
    fn values_and_their_positions() {
        let doc = parse("id: CM-01\nrules:\n  - kind: no-self-merge\n    min: 2\n").unwrap();
        assert_eq!(doc.value["rules"][0]["min"], 2);
        let loc = doc.spans.value_at("/rules/0/min").unwrap();
        assert_eq!((loc.line, loc.column), (4, 10));
        let key = doc.spans.key_at("/rules/0/min").unwrap();
        assert_eq!((key.line, key.column), (4, 5));
        assert_eq!(&doc.source.text[key.offset..key.offset + 3], "min");
        assert_eq!(doc.spans.display_path("/rules/0/min"), "rules[0].min");
        // A missing value is reported where its parent is.
        assert_eq!(doc.spans.value_at("/rules/0/absent").unwrap().line, 3);
    }

    #[test]
    fn hostile_inputs_are_diagnostics() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"".to_vec(), "empty-file"),
            (b"  \n\n".to_vec(), "empty-file"),
            (b"# only a comment\n".to_vec(), "empty-file"),
            (b"id: \x00\x01\x02".to_vec(), "binary-file"),
            (b"id: caf\xe9\n".to_vec(), "invalid-utf8"),
            (vec![b'a'; MAX_FILE_BYTES + 1], "file-too-large"),
            (b"a: [".to_vec(), "yaml-syntax"),
            ("a: 1\na: 2\n".as_bytes().to_vec(), "duplicate-key"),
        ];
        for (bytes, code) in cases {
            let err = Document::parse("t.yaml", &bytes).unwrap_err();
            assert_eq!(err.code, code, "{}", err.headline());
        }
    }

    #[test]
    fn invalid_utf8_points_at_the_byte() {
        let err = Document::parse("t.yaml", b"id: CM-01\ntitle: caf\xe9\n").unwrap_err();
        let loc = err.location.unwrap();
        assert_eq!((loc.line, loc.column), (2, 11));
    }

    /// The fuzzer's slowest input (14 s under ASan) was a nine-way alias bomb of 54 aliases;
    /// one level fewer must be refused as well, not expanded.
    #[test]
    fn a_nine_way_alias_bomb_is_refused() {
        let mut bomb = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..6 {
            let p = i - 1;
            let refs = vec![format!("*l{p}"); 9].join(", ");
            bomb.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
        }
        let err = parse(&bomb).unwrap_err();
        assert_eq!(err.code, "yaml-too-complex", "{}", err.headline());
    }

    #[test]
    fn alias_bomb_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            bomb.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let err = parse(&bomb).unwrap_err();
        assert_eq!(err.code, "yaml-too-complex", "{}", err.headline());

        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&deep).unwrap_err();
        assert_eq!(err.code, "yaml-too-complex", "{}", err.headline());
        let deep_block: String = (0..500)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect();
        let err = parse(&deep_block).unwrap_err();
        assert_eq!(err.code, "yaml-too-complex", "{}", err.headline());
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let doc = parse("\u{feff}id: CM-01\r\ntitle: x\r\n").unwrap();
        assert_eq!(doc.value["title"], "x");
    }
}
