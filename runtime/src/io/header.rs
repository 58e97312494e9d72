//! A zero-copy reader of safetensors bytes, allocation-free and `no_std`: an 8-byte little-endian
//! header length, a JSON header `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [a, b]},
//! "__metadata__": {..}}`, then the tensor data. Every malformed input is an error, never a panic
//! (nesting is bounded, every number and offset is checked).
//!
//! What the format forbids is rejected too, so that a file means one thing: two tensors of one
//! name, data ranges that overlap, and bytes no tensor covers (gaps, trailing bytes). Weight
//! files and checkpoints both go through [`Header::parse`]: one reader, one set of checks.

use super::layout::Shape;
use core::fmt;

/// Why bytes are not a valid safetensors file: what is wrong and the byte where it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Corrupt {
    pub reason: &'static str,
    pub offset: usize,
}

/// Deepest nesting of JSON arrays and objects accepted (in `__metadata__`).
const MAX_DEPTH: usize = 32;

/// A JSON string as it appears between its quotes (escapes not yet decoded; checked valid).
#[derive(Clone, Copy, Debug)]
pub(crate) struct JsonStr<'a> {
    raw: &'a str,
}

impl<'a> JsonStr<'a> {
    /// The decoded characters.
    pub(crate) fn chars(self) -> impl Iterator<Item = char> + 'a {
        let mut rest = self.raw.chars();
        core::iter::from_fn(move || {
            let c = rest.next()?;
            if c != '\\' {
                return Some(c);
            }
            Some(match rest.next()? {
                'b' => '\u{8}',
                'f' => '\u{c}',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' => {
                    let hi = hex4(&mut rest)?;
                    let code = if (0xD800..0xDC00).contains(&hi) {
                        // A high surrogate: validation made sure `\uDC00`..`\uDFFF` follows.
                        let (_, _) = (rest.next(), rest.next());
                        let lo = hex4(&mut rest)?;
                        0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                    } else {
                        hi
                    };
                    char::from_u32(code).unwrap_or('\u{FFFD}')
                }
                other => other, // `"`, `\`, `/`
            })
        })
    }

    /// Whether the decoded string is `s`.
    pub(crate) fn is(self, s: &str) -> bool {
        self.chars().eq(s.chars())
    }
}

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        self.chars().try_for_each(|c| f.write_char(c))
    }
}

fn hex4(chars: &mut core::str::Chars<'_>) -> Option<u32> {
    (0..4).try_fold(0, |acc, _| Some(acc * 16 + chars.next()?.to_digit(16)?))
}

/// One tensor of the file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<'a> {
    pub name: JsonStr<'a>,
    pub dtype: JsonStr<'a>,
    pub shape: Shape,
    /// The tensor's bytes (checked against the shape and dtype when the dtype is known).
    pub data: &'a [u8],
    /// Its `data_offsets`, relative to the start of the data.
    pub begin: usize,
    pub end: usize,
    /// Where its entry starts in the file (for error offsets).
    pub at: usize,
}

/// A tensor's place in the file, for the layout checks: plain numbers, so that a scratch
/// array of them needs no lifetime (the name is `json[name.0..name.1]`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Span {
    begin: usize,
    end: usize,
    at: usize,
    name: (usize, usize),
}

impl Span {
    /// Whether two tensors' bytes collide: non-empty ranges that overlap, or an empty tensor
    /// strictly inside another's bytes (safetensors' own check orders the ranges and requires
    /// each to start where the previous one ended, which rejects both).
    fn collides(&self, other: &Span) -> bool {
        let inside = |empty: &Span, full: &Span| {
            empty.begin == empty.end && full.begin < empty.begin && empty.begin < full.end
        };
        self.begin.max(other.begin) < self.end.min(other.end)
            || inside(self, other)
            || inside(other, self)
    }
}

/// Tensors [`Header::parse`] compares at a time without allocating (on the stack, 2.5 KiB):
/// files of up to this many tensors are checked in O(n log n); larger ones in windows of it,
/// O(n² / 64) comparisons, where the readers first bound n by what the model can need
/// ([`Header::beyond`]). The `std` functions give a scratch of every tensor instead
/// ([`Header::parse_with`]), which is O(n log n) for any file.
pub(crate) const WINDOW: usize = 64;

/// Bytes per element of a safetensors dtype, when kiln knows it.
fn dtype_size(dtype: JsonStr<'_>) -> Option<usize> {
    const SIZES: &[(&str, usize)] = &[
        ("F64", 8),
        ("F32", 4),
        ("F16", 2),
        ("BF16", 2),
        ("I64", 8),
        ("I32", 4),
        ("I16", 2),
        ("I8", 1),
        ("U64", 8),
        ("U32", 4),
        ("U16", 2),
        ("U8", 1),
        ("BOOL", 1),
        ("F8_E5M2", 1),
        ("F8_E4M3", 1),
    ];
    SIZES
        .iter()
        .find(|(name, _)| dtype.is(name))
        .map(|&(_, size)| size)
}

/// A checked safetensors file: the header was parsed entirely and every tensor's offsets lie
/// within the data.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header<'a> {
    json: &'a [u8],
    /// Where the JSON starts in the file (for error offsets).
    base: usize,
    data: &'a [u8],
}

impl<'a> Header<'a> {
    /// Checks `bytes` and its whole header, allocating nothing.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, Corrupt> {
        Self::parse_with(bytes, &mut [Span::default(); WINDOW])
    }

    /// [`Header::parse`] with a scratch for every tensor the header can hold (one per 40 bytes
    /// of JSON, the least an entry takes, and at most `tensors`, which the caller checked with
    /// [`Header::beyond`]): O(n log n) checks for any file, and an allocation no larger than
    /// the header itself.
    #[cfg(feature = "std")]
    pub(crate) fn parse_all(bytes: &'a [u8], tensors: usize) -> Result<Self, Corrupt> {
        let claimed = bytes
            .first_chunk::<8>()
            .map_or(0, |len| u64::from_le_bytes(*len));
        let len = usize::try_from(claimed)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let mut scratch = alloc::vec![Span::default(); (len / 40).min(tensors) + 1];
        Self::parse_with(bytes, &mut scratch)
    }

    /// Where the entry after the first `limit` tensors starts, if the header holds more: found
    /// by reading no further than that entry, so that a reader bounds its work by what the
    /// model can need rather than by what the file holds. Malformed bytes before it are left
    /// to [`Header::parse`] to report.
    pub(crate) fn beyond(bytes: &'a [u8], limit: usize) -> Option<usize> {
        let mut entries = Self::split(bytes).ok()?.cursor().ok()?;
        for _ in 0..limit {
            entries.next_entry().ok()??;
        }
        let entry = entries.next_entry().ok()??;
        Some(entry.at)
    }

    /// [`Header::parse`], comparing the tensors `scratch.len()` at a time (at least one).
    pub(crate) fn parse_with(bytes: &'a [u8], scratch: &mut [Span]) -> Result<Self, Corrupt> {
        let header = Self::split(bytes)?;
        let mut entries = header.cursor()?;
        while entries.next_entry()?.is_some() {}
        header.check_layout(scratch)?;
        Ok(header)
    }

    /// The header's JSON and the data, split at the length the first 8 bytes give.
    fn split(bytes: &'a [u8]) -> Result<Self, Corrupt> {
        let corrupt = |reason, offset| Corrupt { reason, offset };
        let Some((len, rest)) = bytes.split_first_chunk::<8>() else {
            return Err(corrupt("shorter than the 8-byte header length", 0));
        };
        let len = u64::from_le_bytes(*len);
        let Some(len) = usize::try_from(len).ok().filter(|&n| n <= rest.len()) else {
            return Err(corrupt(
                "the header length runs past the end of the bytes (truncated?)",
                0,
            ));
        };
        let (json, data) = rest.split_at(len);
        Ok(Header {
            json,
            base: 8,
            data,
        })
    }

    fn span(&self, e: &Entry<'_>) -> Span {
        let start = e.name.raw.as_ptr() as usize - self.json.as_ptr() as usize;
        Span {
            begin: e.begin,
            end: e.end,
            at: e.at,
            name: (start, start + e.name.raw.len()),
        }
    }

    fn name(&self, span: &Span) -> JsonStr<'a> {
        // The span was made from this header's own (checked) string.
        let raw = core::str::from_utf8(&self.json[span.name.0..span.name.1]).unwrap_or_default();
        JsonStr { raw }
    }

    /// No two tensors share a name or bytes, and together they cover the data exactly: the
    /// tensors are compared `scratch.len()` at a time, sorted (by name, then by offsets)
    /// against each other and searched or scanned for every later tensor.
    fn check_layout(&self, scratch: &mut [Span]) -> Result<(), Corrupt> {
        let at = |span: &Span, reason| Corrupt {
            reason,
            offset: span.at,
        };
        if scratch.is_empty() {
            return self.check_layout(&mut [Span::default()]);
        }
        let by_name = |a: &Span, b: &Span| self.name(a).chars().cmp(self.name(b).chars());
        let width = scratch.len();
        // One cursor fills the windows in turn (each entry is parsed once for them).
        let mut cursor = self.cursor()?;
        loop {
            let mut filled = 0;
            for slot in scratch.iter_mut() {
                let Some(e) = cursor.next_entry()? else { break };
                *slot = self.span(&e);
                filled += 1;
            }
            if filled == 0 {
                break;
            }
            let window = &mut scratch[..filled];
            let later = || {
                let mut after = cursor.clone();
                core::iter::from_fn(move || after.next_entry().ok().flatten())
                    .map(|e| self.span(&e))
            };
            const DUPLICATE: &str = "two tensors have the same name";
            window.sort_unstable_by(by_name);
            if let Some(pair) = window.windows(2).find(|p| by_name(&p[0], &p[1]).is_eq()) {
                return Err(at(&pair[1], DUPLICATE));
            }
            if let Some(s) = later().find(|s| window.binary_search_by(|w| by_name(w, s)).is_ok()) {
                return Err(at(&s, DUPLICATE));
            }
            const OVERLAP: &str = "two tensors' `data_offsets` overlap";
            window.sort_unstable_by_key(|s| (s.begin, s.end));
            if let Some(pair) = window.windows(2).find(|p| p[0].collides(&p[1])) {
                return Err(at(&pair[1], OVERLAP));
            }
            if let Some(s) = later().find(|s| window.iter().any(|w| w.collides(s))) {
                return Err(at(&s, OVERLAP));
            }
            if filled < width {
                break;
            }
        }
        // Disjoint ranges inside the data that add up to its length cover it exactly.
        let (mut covered, mut last) = (0usize, 0usize);
        for e in self.entries() {
            covered += e.end - e.begin; // disjoint ranges within the data: no overflow
            last = last.max(e.end);
        }
        if covered != self.data.len() {
            return Err(Corrupt {
                reason: if last < self.data.len() {
                    "bytes after the last tensor's data (the format forbids trailing bytes)"
                } else {
                    "bytes between tensors' data that no tensor covers (the format forbids gaps)"
                },
                offset: self.base + self.json.len() + last.min(self.data.len()),
            });
        }
        Ok(())
    }

    /// The tensors, in file order (the header was checked, so this stops only at the end).
    pub(crate) fn entries(&self) -> impl Iterator<Item = Entry<'a>> + 'a {
        let mut cursor = self.cursor().ok();
        core::iter::from_fn(move || cursor.as_mut()?.next_entry().ok().flatten())
    }

    // Only checkpoints read metadata.
    #[cfg(feature = "train")]
    /// The `__metadata__` entries in file order, each value `None` unless it is a string (the
    /// format's metadata is a map of strings; kiln reads files whose other values it ignores).
    pub(crate) fn metadata(&self) -> impl Iterator<Item = (JsonStr<'a>, Option<JsonStr<'a>>)> + 'a {
        let mut p = self.metadata_object();
        let mut first = true;
        core::iter::from_fn(move || {
            // The header was checked whole, so none of these steps fails.
            let p = p.as_mut()?;
            p.ws();
            if p.eat(b'}') {
                p.at = p.s.len();
                return None;
            }
            if !first {
                p.expect(b',', "").ok()?;
                p.ws();
            }
            first = false;
            let key = p.string().ok()?;
            p.ws();
            p.expect(b':', "").ok()?;
            p.ws();
            if p.peek() == Some(b'"') {
                return Some((key, Some(p.string().ok()?)));
            }
            p.skip_value(0).ok()?;
            Some((key, None))
        })
    }

    // Only checkpoints read metadata.
    #[cfg(feature = "train")]
    /// A parser just inside the `__metadata__` object, if the file has one that is an object.
    fn metadata_object(&self) -> Option<Parser<'a>> {
        let mut entries = self.cursor().ok()?;
        let p = &mut entries.p;
        let mut first = true;
        loop {
            p.ws();
            if p.eat(b'}') {
                return None;
            }
            if !first {
                p.expect(b',', "").ok()?;
                p.ws();
            }
            first = false;
            let name = p.string().ok()?;
            p.ws();
            p.expect(b':', "").ok()?;
            p.ws();
            if name.is("__metadata__") {
                return p.eat(b'{').then_some(*p);
            }
            p.skip_value(0).ok()?;
        }
    }

    fn cursor(&self) -> Result<Entries<'a>, Corrupt> {
        let mut p = Parser {
            s: self.json,
            at: 0,
            base: self.base,
        };
        p.ws();
        p.expect(b'{', "the header is not a JSON object")?;
        Ok(Entries {
            p,
            data: self.data,
            first: true,
            done: false,
            metadata_seen: false,
        })
    }
}

/// Walks the header's top-level object.
#[derive(Clone)]
struct Entries<'a> {
    p: Parser<'a>,
    data: &'a [u8],
    first: bool,
    done: bool,
    metadata_seen: bool,
}

impl<'a> Entries<'a> {
    /// The next tensor entry (skipping `__metadata__`), `None` after the closing brace.
    fn next_entry(&mut self) -> Result<Option<Entry<'a>>, Corrupt> {
        loop {
            if self.done {
                return Ok(None);
            }
            let p = &mut self.p;
            p.ws();
            if p.eat(b'}') {
                p.ws();
                if p.at != p.s.len() {
                    return Err(p.err("bytes after the header's JSON object"));
                }
                self.done = true;
                return Ok(None);
            }
            if !self.first {
                p.expect(b',', "expected `,` or `}` between header entries")?;
                p.ws();
            }
            self.first = false;
            let name = p.string()?;
            p.ws();
            p.expect(b':', "expected `:` after a tensor name")?;
            p.ws();
            if name.is("__metadata__") {
                if self.metadata_seen {
                    return Err(p.err("`__metadata__` appears twice"));
                }
                self.metadata_seen = true;
                p.skip_value(0)?;
                continue;
            }
            return self.tensor(name).map(Some);
        }
    }

    /// `{"dtype": .., "shape": [..], "data_offsets": [a, b]}` (keys in any order).
    fn tensor(&mut self, name: JsonStr<'a>) -> Result<Entry<'a>, Corrupt> {
        let p = &mut self.p;
        let start = p.at;
        p.expect(b'{', "a tensor's entry is not a JSON object")?;
        let (mut dtype, mut shape, mut offsets) = (None, None, None);
        let mut first = true;
        loop {
            p.ws();
            if p.eat(b'}') {
                break;
            }
            if !first {
                p.expect(b',', "expected `,` or `}` in a tensor's entry")?;
                p.ws();
            }
            first = false;
            let key = p.string()?;
            p.ws();
            p.expect(b':', "expected `:` after a key")?;
            p.ws();
            // One key twice leaves its meaning open (the reference parser rejects it too).
            let twice = if key.is("dtype") && dtype.is_some() {
                Some("`dtype` appears twice in a tensor's entry")
            } else if key.is("shape") && shape.is_some() {
                Some("`shape` appears twice in a tensor's entry")
            } else if key.is("data_offsets") && offsets.is_some() {
                Some("`data_offsets` appears twice in a tensor's entry")
            } else {
                None
            };
            if let Some(reason) = twice {
                return Err(p.err(reason));
            }
            if key.is("dtype") {
                dtype = Some(p.string()?);
            } else if key.is("shape") {
                let mut dims = Shape::new(&[]);
                let mut numel = 1usize;
                p.integers(|d| {
                    numel = numel.checked_mul(d)?;
                    dims.push(d);
                    Some(())
                })?;
                shape = Some((dims, numel));
            } else if key.is("data_offsets") {
                let mut pair = [0usize; 2];
                let mut n = 0;
                p.integers(|v| {
                    *pair.get_mut(n)? = v;
                    n += 1;
                    Some(())
                })?;
                if n != 2 {
                    return Err(p.err("`data_offsets` must hold two offsets"));
                }
                offsets = Some((pair[0], pair[1]));
            } else {
                p.skip_value(0)?;
            }
        }
        let at = |reason| Corrupt {
            reason,
            offset: p.base + start,
        };
        let dtype = dtype.ok_or(at("a tensor's entry has no `dtype`"))?;
        let (shape, numel) = shape.ok_or(at("a tensor's entry has no `shape`"))?;
        let (begin, end) = offsets.ok_or(at("a tensor's entry has no `data_offsets`"))?;
        let data = self.data.get(begin..end).ok_or(at(
            "a tensor's `data_offsets` lie outside the data (truncated?)",
        ))?;
        if let Some(size) = dtype_size(dtype) {
            if numel.checked_mul(size) != Some(data.len()) {
                return Err(at(
                    "a tensor's byte count does not match its shape and dtype",
                ));
            }
        }
        Ok(Entry {
            name,
            dtype,
            shape,
            data,
            begin,
            end,
            at: p.base + start,
        })
    }
}

/// A JSON cursor over the header bytes.
#[derive(Clone, Copy)]
struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    base: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, reason: &'static str) -> Corrupt {
        Corrupt {
            reason,
            offset: self.base + self.at,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), Corrupt> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.err(reason))
        }
    }

    /// A string, checked: UTF-8, escapes well formed, surrogates paired, no control characters.
    fn string(&mut self) -> Result<JsonStr<'a>, Corrupt> {
        self.expect(b'"', "expected a JSON string")?;
        let start = self.at;
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated JSON string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.at += 1
                        }
                        Some(b'u') => {
                            self.at += 1;
                            let code = self.hex4()?;
                            if (0xD800..0xDC00).contains(&code) {
                                if !(self.eat(b'\\') && self.eat(b'u')) {
                                    return Err(self.err("unpaired surrogate in a JSON string"));
                                }
                                if !(0xDC00..0xE000).contains(&self.hex4()?) {
                                    return Err(self.err("unpaired surrogate in a JSON string"));
                                }
                            } else if (0xDC00..0xE000).contains(&code) {
                                return Err(self.err("unpaired surrogate in a JSON string"));
                            }
                        }
                        _ => return Err(self.err("invalid escape in a JSON string")),
                    }
                }
                Some(c) if c < 0x20 => return Err(self.err("control character in a JSON string")),
                Some(_) => self.at += 1,
            }
        }
        let raw = core::str::from_utf8(&self.s[start..self.at])
            .map_err(|_| self.err("a JSON string is not UTF-8"))?;
        self.at += 1;
        Ok(JsonStr { raw })
    }

    fn hex4(&mut self) -> Result<u32, Corrupt> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|c| (c as char).to_digit(16))
                .ok_or_else(|| self.err("invalid \\u escape in a JSON string"))?;
            code = code * 16 + digit;
            self.at += 1;
        }
        Ok(code)
    }

    /// A non-negative integer that fits a `usize`.
    fn integer(&mut self) -> Result<usize, Corrupt> {
        let start = self.at;
        let mut value = 0usize;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(usize::from(c - b'0')))
                .ok_or_else(|| self.err("an integer in the header is too large"))?;
            self.at += 1;
        }
        if self.at == start {
            return Err(self.err("expected a non-negative integer"));
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return Err(self.err("expected an integer, found a fraction"));
        }
        Ok(value)
    }

    /// `[n, n, ...]`, each integer handed to `each` (which returns `None` to reject it).
    fn integers(&mut self, mut each: impl FnMut(usize) -> Option<()>) -> Result<(), Corrupt> {
        self.expect(b'[', "expected a JSON array of integers")?;
        self.ws();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            self.ws();
            let at = self.at;
            let n = self.integer()?;
            each(n).ok_or(Corrupt {
                reason: "too many values, or a shape whose size overflows",
                offset: self.base + at,
            })?;
            self.ws();
            if self.eat(b']') {
                return Ok(());
            }
            self.expect(b',', "expected `,` or `]` in an array")?;
        }
    }

    /// Any JSON value (in `__metadata__` and unknown keys), nested at most [`MAX_DEPTH`] deep.
    fn skip_value(&mut self, depth: usize) -> Result<(), Corrupt> {
        if depth > MAX_DEPTH {
            return Err(self.err("the header's JSON is nested too deeply"));
        }
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{') | Some(b'[') => {
                let close = if self.peek() == Some(b'{') {
                    b'}'
                } else {
                    b']'
                };
                self.at += 1;
                self.ws();
                if self.eat(close) {
                    return Ok(());
                }
                loop {
                    self.ws();
                    if close == b'}' {
                        self.string()?;
                        self.ws();
                        self.expect(b':', "expected `:` after a key")?;
                        self.ws();
                    }
                    self.skip_value(depth + 1)?;
                    self.ws();
                    if self.eat(close) {
                        return Ok(());
                    }
                    self.expect(b',', "expected `,` between JSON values")?;
                }
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => {
                self.eat(b'-');
                let digits = |p: &mut Self| {
                    let start = p.at;
                    while matches!(p.peek(), Some(b'0'..=b'9')) {
                        p.at += 1;
                    }
                    if p.at == start {
                        Err(p.err("malformed JSON number"))
                    } else {
                        Ok(())
                    }
                };
                digits(self)?;
                if self.eat(b'.') {
                    digits(self)?;
                }
                if self.eat(b'e') || self.eat(b'E') {
                    if !self.eat(b'+') {
                        self.eat(b'-');
                    }
                    digits(self)?;
                }
                Ok(())
            }
            _ => Err(self.err("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Corrupt> {
        if self.s[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.err("expected a JSON value"))
        }
    }
}
