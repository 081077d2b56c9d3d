//! A second reader of the body, for the shape Jumio sends: serde's
//! `Deserializer` over the body's bytes, driving the same `Deserialize` impls
//! as serde_json, but skipping whitespace eight bytes at a time.
//!
//! Why: the retrieval API's bodies are indented, and serde_json skips that
//! indentation a byte at a time, a fifth of a parse's instructions
//! (tests/load/README.md, "Instructions per call"). Copying the body without
//! its whitespace first cost more than it saved ("Tried and not kept").
//!
//! The contract that keeps it safe: this reader **declines** whatever it does
//! not read exactly as serde_json would (a string with an escape that is
//! read, a number it cannot convert the same way, a struct written as an
//! array, an enum), and declines every error too. [`super::parse_workflow_json`]
//! then parses with serde_json as before, so every error, message, path and
//! position stays serde_json's. What it accepts, serde_json accepts with the
//! same value: the same visitor calls with the same arguments. This module's
//! tests, the property `the_fast_path_reads_what_serde_json_reads_or_leaves_it`
//! (tests/properties.rs) and the `json_body` fuzz target hold it to that.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// `T` read from `body`, or `None` where serde_json must read it.
pub(super) fn from_str<'de, T: Deserialize<'de>>(body: &'de str) -> Option<T> {
    let mut reader = Reader { body, at: 0 };
    let value = T::deserialize(&mut reader).ok()?;
    reader.next_byte().is_none().then_some(value)
}

/// Why the fast path gave the body back: nothing to report, since serde_json
/// reads it again and reports.
#[derive(Debug)]
struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("left to serde_json")
    }
}

impl std::error::Error for Declined {}

impl de::Error for Declined {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Declined
    }
}

type Result<T> = std::result::Result<T, Declined>;

/// Bytes whose every byte is `byte`.
const fn repeated(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

/// Where the next `"`, `\` or control character (below 0x20) is, from `from`;
/// `bytes.len()` if none. Eight bytes at a time: a byte below 0x20, or equal
/// to `"` or `\`, sets its top bit in `found`; a borrow can set bits only
/// above a byte that is truly found, so the lowest set bit is the first match.
fn next_special(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let word = u64::from_le_bytes(*chunk);
        let control = word.wrapping_sub(repeated(0x20)) & !word;
        let quote = word ^ repeated(b'"');
        let quote = quote.wrapping_sub(repeated(1)) & !quote;
        let backslash = word ^ repeated(b'\\');
        let backslash = backslash.wrapping_sub(repeated(1)) & !backslash;
        let found = (control | quote | backslash) & repeated(0x80);
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&byte) = bytes.get(at) {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            return at;
        }
        at += 1;
    }
    at
}

/// Most nested arrays and objects an unread value may hold here; deeper ones
/// are left to serde_json, which skips them without a limit.
const MAX_SKIPPED_DEPTH: u32 = 64;

/// The powers of ten a decimal's fraction divides by, exactly representable.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Where the whitespace from `at` ends. After a line break, the indentation
/// that follows it is skipped eight spaces at a time.
fn whitespace_end(bytes: &[u8], mut at: usize) -> usize {
    while let Some(&byte) = bytes.get(at) {
        if byte == b'\n' {
            at += 1;
            while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
                let other = u64::from_le_bytes(*chunk) ^ repeated(b' ');
                if other != 0 {
                    at += (other.trailing_zeros() / 8) as usize;
                    break;
                }
                at += 8;
            }
        } else if byte == b' ' || byte == b'\t' || byte == b'\r' {
            at += 1;
        } else {
            break;
        }
    }
    at
}

struct Reader<'de> {
    body: &'de str,
    /// The next byte to read.
    at: usize,
}

impl<'de> Reader<'de> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.body.as_bytes().get(self.at).copied()
    }

    /// JSON's whitespace. Most calls find none or one space, so the first
    /// byte is tested inline: every byte JSON allows outside a string that
    /// is not whitespace is above the space.
    #[inline]
    fn skip_whitespace(&mut self) {
        if self
            .body
            .as_bytes()
            .get(self.at)
            .is_some_and(|&byte| byte <= b' ')
        {
            self.at = whitespace_end(self.body.as_bytes(), self.at);
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    fn next_byte(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.peek()
    }

    /// Consumes `byte` after whitespace, or declines.
    #[inline]
    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.next_byte() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Declined)
        }
    }

    /// A string without escapes, the reader on its opening quote; one with
    /// an escape is declined (serde_json would hand it over unescaped, as an
    /// owned string).
    #[inline]
    fn string(&mut self) -> Result<&'de str> {
        let start = self.at + 1;
        let end = next_special(self.body.as_bytes(), start);
        if self.body.as_bytes().get(end) != Some(&b'"') {
            return Err(Declined);
        }
        self.at = end + 1;
        // Both ends are at ASCII quotes, so on character boundaries.
        self.body.get(start..end).ok_or(Declined)
    }

    /// A string not read, the reader on its opening quote: its escapes
    /// checked as serde_json checks them (`\u` with four hex digits, whatever
    /// they encode).
    fn skip_string(&mut self) -> Result<()> {
        let bytes = self.body.as_bytes();
        let mut at = self.at + 1;
        loop {
            at = next_special(bytes, at);
            match bytes.get(at) {
                Some(b'"') => {
                    self.at = at + 1;
                    return Ok(());
                }
                Some(b'\\') => match bytes.get(at + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => at += 2,
                    Some(b'u') => {
                        let hex = bytes.get(at + 2..at + 6).ok_or(Declined)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return Err(Declined);
                        }
                        at += 6;
                    }
                    _ => return Err(Declined),
                },
                _ => return Err(Declined),
            }
        }
    }

    /// `true`, `false` or `null`, whichever `word` is.
    fn literal(&mut self, word: &[u8]) -> Result<()> {
        if self.body.as_bytes().get(self.at..self.at + word.len()) == Some(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Declined)
        }
    }

    /// Digits from the reader on, at least one; how many.
    fn digits(&mut self) -> usize {
        let bytes = self.body.as_bytes();
        let start = self.at;
        while bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        self.at - start
    }

    /// A number by JSON's grammar, as serde_json checks it: an optional
    /// minus, one `0` or digits not starting with `0`, an optional fraction
    /// of at least one digit, an optional exponent of at least one digit.
    /// Returns where its parts are.
    fn number_token(&mut self) -> Result<NumberToken> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
                    return Err(Declined);
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Declined),
        }
        let integer_end = self.at;
        let mut fraction = None;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(Declined);
            }
            fraction = Some(integer_end + 1..self.at);
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = self.peek() {
            exponent = true;
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(Declined);
            }
        }
        Ok(NumberToken {
            negative,
            integer: start + usize::from(negative)..integer_end,
            fraction,
            exponent,
        })
    }

    /// A number handed to `visitor` as serde_json hands it: a `u64` when
    /// not negative and integral, an `i64` when negative and integral, an
    /// `f64` otherwise. Declines what serde_json would compute in a way this
    /// does not repeat bit for bit: an integer that overflows, `-0`, an
    /// exponent, more than 2^53 in the digits, or a fraction of more than 22
    /// digits.
    fn number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let token = self.number_token()?;
        let integer = self.body.get(token.integer.clone()).ok_or(Declined)?;
        if token.exponent {
            return Err(Declined);
        }
        let Some(fraction) = token.fraction else {
            // 19 digits always fit a u64; serde_json turns more into an f64.
            if integer.len() > 19 {
                return Err(Declined);
            }
            let value: u64 = integer.parse().map_err(|_| Declined)?;
            if !token.negative {
                return visitor.visit_u64(value);
            }
            // serde_json makes `-0` an f64 (-0.0); anything below i64::MIN too.
            let value = i64::try_from(value).map_err(|_| Declined)?;
            if value == 0 {
                return Err(Declined);
            }
            return visitor.visit_i64(-value);
        };
        let fraction = self.body.get(fraction).ok_or(Declined)?;
        let scale = POW10.get(fraction.len()).ok_or(Declined)?;
        let mut significand: u64 = 0;
        for byte in integer.bytes().chain(fraction.bytes()) {
            significand = significand
                .checked_mul(10)
                .and_then(|value| value.checked_add(u64::from(byte - b'0')))
                .ok_or(Declined)?;
        }
        // Below 2^53 the significand is an exact f64, the power of ten is
        // exact, and one division rounds once: serde_json divides the same
        // two numbers here, and a correctly rounded parse gives the same.
        if significand >= 1 << 53 {
            return Err(Declined);
        }
        #[expect(
            clippy::cast_precision_loss,
            reason = "below 2^53, checked just above, the conversion is exact"
        )]
        let magnitude = significand as f64 / scale;
        visitor.visit_f64(if token.negative {
            -magnitude
        } else {
            magnitude
        })
    }

    /// A value not read, checked by JSON's grammar as serde_json checks it,
    /// without recursion: the open arrays and objects are the bits of
    /// `objects` (1 for an object), `depth` of them.
    fn skip_value(&mut self) -> Result<()> {
        let mut objects: u64 = 0;
        let mut depth: u32 = 0;
        loop {
            // A value is next.
            match self.next_byte().ok_or(Declined)? {
                open @ (b'{' | b'[') => {
                    self.at += 1;
                    let (object, close) = if open == b'{' {
                        (true, b'}')
                    } else {
                        (false, b']')
                    };
                    if self.next_byte() == Some(close) {
                        self.at += 1;
                    } else {
                        if depth == MAX_SKIPPED_DEPTH {
                            return Err(Declined);
                        }
                        objects = objects << 1 | u64::from(object);
                        depth += 1;
                        if object {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                b'"' => self.skip_string()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => {
                    self.number_token()?;
                }
            }
            // A value has ended: a comma and the next, or the end of what
            // holds it.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let object = objects & 1 == 1;
                match self.next_byte() {
                    Some(b',') => {
                        self.at += 1;
                        if object {
                            self.skip_key()?;
                        }
                        break;
                    }
                    Some(b'}') if object => {}
                    Some(b']') if !object => {}
                    _ => return Err(Declined),
                }
                self.at += 1;
                objects >>= 1;
                depth -= 1;
            }
        }
    }

    /// An object's key not read, and its colon.
    fn skip_key(&mut self) -> Result<()> {
        if self.next_byte() != Some(b'"') {
            return Err(Declined);
        }
        self.skip_string()?;
        self.expect(b':')
    }

    /// An object to `visitor`, the reader on `{`; then its `}`.
    #[inline]
    fn object<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.at += 1;
        let value = visitor.visit_map(Items {
            reader: self,
            first: true,
        })?;
        self.expect(b'}')?;
        Ok(value)
    }

    /// An array to `visitor`, the reader on `[`; then its `]`.
    #[inline]
    fn array<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.at += 1;
        let value = visitor.visit_seq(Items {
            reader: self,
            first: true,
        })?;
        self.expect(b']')?;
        Ok(value)
    }
}

/// Where a number's parts are in the body.
struct NumberToken {
    negative: bool,
    integer: std::ops::Range<usize>,
    fraction: Option<std::ops::Range<usize>>,
    exponent: bool,
}

/// `deserialize_*` methods that leave the body to serde_json.
macro_rules! declined {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
                Err(Declined)
            }
        )*
    };
}

/// A number's `deserialize_*`: serde_json reads a number there (handed
/// over as [`Reader::number`] hands it) and fails on anything else, without
/// showing the visitor a string or a boolean.
macro_rules! deserialize_numbers {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
                match self.next_byte() {
                    Some(b'-' | b'0'..=b'9') => self.number(visitor),
                    _ => Err(Declined),
                }
            }
        )*
    };
}

impl<'de> Deserializer<'de> for &mut Reader<'de> {
    type Error = Declined;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.next_byte().ok_or(Declined)? {
            b'"' => visitor.visit_borrowed_str(self.string()?),
            b'{' => self.object(visitor),
            b'[' => self.array(visitor),
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            _ => self.number(visitor),
        }
    }

    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.next_byte() != Some(b'"') {
            return Err(Declined);
        }
        visitor.visit_borrowed_str(self.string()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.next_byte() == Some(b'n') {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    #[inline]
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.next_byte() != Some(b'{') {
            return Err(Declined);
        }
        self.object(visitor)
    }

    /// An object only: serde_json also reads a struct from an array of its
    /// fields in order, which is left to it.
    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.next_byte() != Some(b'[') {
            return Err(Declined);
        }
        self.array(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_value()?;
        visitor.visit_unit()
    }

    /// serde_json gives its own `RawValue` a meaning of its own; no type read
    /// here is one, and any other newtype is its content.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name.starts_with("$serde_json") {
            return Err(Declined);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(Declined)
    }

    // Bytes are not read here; serde_json hands 128-bit integers over as
    // `visit_i128` and `visit_u128`.
    declined! { deserialize_bytes deserialize_byte_buf deserialize_i128 deserialize_u128 }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.next_byte() {
            Some(b't' | b'f') => self.deserialize_any(visitor),
            _ => Err(Declined),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.next_byte() != Some(b'n') {
            return Err(Declined);
        }
        self.literal(b"null")?;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    deserialize_numbers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
    }
}

/// An object's entries or an array's elements, as serde_json walks them: a
/// comma before every one but the first.
struct Items<'r, 'de> {
    reader: &'r mut Reader<'de>,
    first: bool,
}

impl Items<'_, '_> {
    /// Whether another entry or element follows, its comma consumed; `false`
    /// at the `close` that ends them, left for [`Reader::object`] or
    /// [`Reader::array`] to consume.
    #[inline]
    fn another(&mut self, close: u8) -> Result<bool> {
        let reader = &mut *self.reader;
        match reader.next_byte() {
            Some(byte) if byte == close => return Ok(false),
            Some(b',') if !self.first => reader.at += 1,
            _ if self.first => {}
            _ => return Err(Declined),
        }
        self.first = false;
        Ok(true)
    }
}

impl<'de> MapAccess<'de> for Items<'_, 'de> {
    type Error = Declined;

    /// A key is a string.
    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if !self.another(b'}')? {
            return Ok(None);
        }
        if self.reader.next_byte() != Some(b'"') {
            return Err(Declined);
        }
        seed.deserialize(Key(self.reader.string()?)).map(Some)
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value> {
        self.reader.expect(b':')?;
        seed.deserialize(&mut *self.reader)
    }
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = Declined;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if !self.another(b']')? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.reader).map(Some)
    }
}

/// An object's key, a string without escapes. serde_json hands a key to
/// `deserialize_str`, `deserialize_identifier` and `deserialize_any` as a
/// borrowed string, which is how every key here is read; it reads other
/// kinds from the key's text, which is left to it.
struct Key<'de>(&'de str);

impl<'de> Deserializer<'de> for Key<'de> {
    type Error = Declined;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
        Err(Declined)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value> {
        Err(Declined)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(Declined)
    }

    // serde_json reads a boolean or a number from a key's text, and bytes
    // its own way; no key here is one, so those are left to it.
    declined! {
        deserialize_bytes deserialize_byte_buf deserialize_bool deserialize_i8 deserialize_i16
        deserialize_i32 deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16
        deserialize_u32 deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64
    }

    // As serde_json's own map keys.
    serde::forward_to_deserialize_any! {
        char str string unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::super::read_both_ways;

    /// Reads `body` both ways: where the fast path reads it, serde_json must
    /// read the same workflow. Returns whether the fast path read it.
    fn agree(body: &str) -> bool {
        let (fast, serde) = read_both_ways(body);
        let read = fast.is_some();
        if read {
            assert_eq!(fast, serde, "{body}");
        }
        read
    }

    /// A workflow whose risk score is `score` and whose one capability
    /// entry's label is `label` and carries `extra` in a field nothing reads.
    fn body(score: &str, label: &str, extra: &str) -> String {
        format!(
            r#"{{"workflow":{{"status":"PROCESSED","id":"w-1"}},"decision":{{"type":"PASSED","risk":{{"score":{score}}}}},"capabilities":{{"usability":[{{"decision":{{"type":"REJECTED","details":{{"label":{label}}}}},"extra":{extra}}}]}}}}"#
        )
    }

    #[test]
    fn every_corpus_workflow_is_read_by_the_fast_path_as_serde_json_reads_it() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
        let mut read = 0;
        for entry in std::fs::read_dir(dir).expect("the corpus is there") {
            let path = entry.expect("a corpus file").path();
            let text = std::fs::read_to_string(&path).expect("a corpus body");
            let value: serde_json::Value = serde_json::from_str(&text).expect("corpus JSON");
            // As committed (indented by two), without whitespace, indented by
            // four with CRLF line breaks, and by tabs.
            let compact = value.to_string();
            let pretty = serde_json::to_string_pretty(&value).expect("printable");
            let variants = [
                text.clone(),
                compact,
                pretty.replace("  ", "    ").replace('\n', "\r\n"),
                pretty.replace("  ", "\t"),
            ];
            for variant in &variants {
                let serde_reads = read_both_ways(variant).1.is_some();
                // Every body serde_json reads is a plain workflow result the
                // fast path must take too, or it would save nothing.
                assert_eq!(agree(variant), serde_reads, "{}", path.display());
                read += usize::from(serde_reads);
            }
        }
        assert!(read >= 4 * 20, "{read} bodies read");
    }

    #[test]
    fn what_the_fast_path_cannot_repeat_exactly_is_left_to_serde_json() {
        let plain = body("40.0", r#""BLURRED""#, "null");
        assert!(agree(&plain), "the plain body is read");
        // A body with this risk score, this label on its one entry, this value
        // in a field of that entry nothing reads, or this `searchResults`.
        let score = |score: &str| body(score, r#""X""#, "null");
        let label = |label: &str| body("40", label, "null");
        let extra = |extra: &str| body("1", r#""X""#, extra);
        let search_results = |results: &str| {
            format!(
                r#"{{"workflow":{{"status":"PROCESSED"}},"capabilities":{{"watchlistScreening":[{{"data":{{"searchResults":{results}}}}}]}}}}"#
            )
        };
        // (body, whether the fast path reads it). Where it does not, serde_json
        // reads or refuses it on its own; either way `agree` checks that
        // nothing the fast path reads differs.
        let cases: Vec<(String, bool)> = vec![
            // A read string with an escape: serde_json unescapes it into an
            // owned string.
            (label(r#""BLUR\u0052ED""#), false),
            (label(r#""BLURRED\/""#), false),
            // Escapes in a string nothing reads are only checked.
            (extra(r#""a\"b\\ \/\b\f\n\r\t\u00e9\uD800 z""#), true),
            (extra(r#""bad \x escape""#), false),
            (extra(r#""\u12G4""#), false),
            (extra(r#""\u12""#), false),
            (extra("\"raw \u{1} control\""), false),
            (label("\"raw \u{1f} control\""), false),
            (
                extra("\"long enough to be read eight bytes at a time \u{7f} \u{e9}\""),
                true,
            ),
            // Numbers as serde_json hands them over.
            (score("40"), true),
            (score("0.5"), true),
            (score("99.9999999999999"), true),
            (score("0.000000000000000000001"), true),
            (score("-1"), true),
            (score("-0.0"), true),
            (score("\"40.0\""), true),
            // serde_json makes `-0` an f64; an exponent, a fraction past 22
            // digits or digits past 2^53 are computed its own way.
            (score("-0"), false),
            (score("1e2"), false),
            (score("4E1"), false),
            (score("40.00000000000000000000001"), false),
            (score("9007199254740993.0"), false),
            (score("99.99999999999999"), false),
            (score("12345678901234567890123"), false),
            (score("101"), false),
            (score("01"), false),
            (score("1."), false),
            (score("-"), false),
            // Numbers nothing reads are checked by the same grammar.
            (
                extra("[0, -0, 1.5e+3, -0.0E-0, 123456789012345678901234567890]"),
                true,
            ),
            (extra("[01]"), false),
            (extra("[1.]"), false),
            (extra("[1e]"), false),
            (extra("[-]"), false),
            (extra("[.5]"), false),
            // Literals, nesting and punctuation nothing reads.
            (
                extra(r#"{"a": [true, false, null, {}, [], {"b": [[]]}]}"#),
                true,
            ),
            (extra("[tru]"), false),
            (extra("nul"), false),
            (extra("[1,]"), false),
            (extra(r#"{"a":1,}"#), false),
            (extra(r#"{"a" 1}"#), false),
            (extra(r#"{1: 1}"#), false),
            (extra("[1 2]"), false),
            (extra("[}"), false),
            (
                extra(&format!("{}1{}", "[".repeat(64), "]".repeat(64))),
                true,
            ),
            // Deeper than the fast path keeps count of: serde_json skips it.
            (
                extra(&format!("{}1{}", "[".repeat(65), "]".repeat(65))),
                false,
            ),
            (
                extra(&format!("{}1{}", "{\"a\":".repeat(64), "}".repeat(64))),
                true,
            ),
            (
                extra(&format!("{}1{}", "{\"a\":".repeat(65), "}".repeat(65))),
                false,
            ),
            // `searchResults` is read by a number's method: a string there is
            // left to serde_json, which refuses it.
            (search_results("\"3\""), false),
            (search_results("3"), true),
            // Read structures: a struct as an array of its fields, a key
            // with an escape, a repeated field, trailing characters.
            (r#"{"workflow":["w-1","PROCESSED",null]}"#.to_owned(), false),
            (
                r#"{"workflow":{"st\u0061tus":"PROCESSED"}}"#.to_owned(),
                false,
            ),
            (
                r#"{"workflow":{"status":"PROCESSED","status":"PROCESSED"}}"#.to_owned(),
                false,
            ),
            (format!("{plain} \n\t"), true),
            (format!("{plain} x"), false),
            (format!("\u{feff}{plain}"), false),
            (plain.replace(':', " \u{c}:"), false),
            (String::new(), false),
            ("null".to_owned(), false),
            // Whitespace in every place and length JSON allows.
            (plain.replace(',', ",\n        ").replace(':', " :\t"), true),
            (plain.replace(',', "\r\n                 ,"), true),
            (plain.replace('{', "{\n\n  \n"), true),
        ];
        for (body, fast) in &cases {
            assert_eq!(agree(body), *fast, "{body}");
        }
    }

    /// A type read by `deserialize_u64` whose visitor would also take a
    /// string: serde_json shows that method's visitor only a number.
    struct Lenient(String);

    impl<'de> serde::Deserialize<'de> for Lenient {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct LenientVisitor;
            impl serde::de::Visitor<'_> for LenientVisitor {
                type Value = Lenient;
                fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    formatter.write_str("anything")
                }
                fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Lenient, E> {
                    Ok(Lenient(value.to_string()))
                }
                fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Lenient, E> {
                    Ok(Lenient(value.to_owned()))
                }
            }
            deserializer.deserialize_u64(LenientVisitor)
        }
    }

    #[test]
    fn a_method_of_a_kind_shows_its_visitor_only_what_serde_json_shows_it() {
        // A number's method, given a string: serde_json refuses it; the fast
        // path leaves it to serde_json.
        assert!(serde_json::from_str::<Lenient>(r#""3""#).is_err());
        assert!(super::from_str::<Lenient>(r#""3""#).is_none());
        assert_eq!(
            super::from_str::<Lenient>(" 3 ").map(|read| read.0),
            Some("3".to_owned())
        );
        // serde_json hands 128-bit integers over as such: left to it.
        assert_eq!(serde_json::from_str::<u128>("3").ok(), Some(3));
        assert_eq!(super::from_str::<u128>("3"), None);
        assert_eq!(super::from_str::<i128>("-3"), None);
        // Booleans and unit, and what they refuse.
        assert_eq!(super::from_str::<bool>("true"), Some(true));
        assert_eq!(super::from_str::<bool>("1"), None);
        assert_eq!(super::from_str::<()>("null"), Some(()));
        assert_eq!(super::from_str::<()>("false"), None);
        assert_eq!(super::from_str::<char>(r#""x""#), Some('x'));
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Newtype(u64);

    #[derive(Debug, PartialEq, serde::Deserialize)]
    enum Kind {
        Plain,
    }

    #[test]
    fn newtypes_and_tuples_are_read_and_what_serde_json_reads_its_own_way_is_left_to_it() {
        assert_eq!(super::from_str::<Newtype>("7"), Some(Newtype(7)));
        assert_eq!(super::from_str::<(u64, bool)>("[1, true]"), Some((1, true)));
        // serde_json's own raw value, an enum, a key read as a number: each
        // read by serde_json, and left to it here.
        let raw = r#"{"a": 1}"#;
        assert!(serde_json::from_str::<&serde_json::value::RawValue>(raw).is_ok());
        assert!(super::from_str::<&serde_json::value::RawValue>(raw).is_none());
        assert_eq!(
            serde_json::from_str::<Kind>(r#""Plain""#).ok(),
            Some(Kind::Plain)
        );
        assert_eq!(super::from_str::<Kind>(r#""Plain""#), None);
        let keyed = r#"{"1": 2}"#;
        assert!(serde_json::from_str::<std::collections::BTreeMap<u64, u64>>(keyed).is_ok());
        assert!(super::from_str::<std::collections::BTreeMap<u64, u64>>(keyed).is_none());
        assert_eq!(
            super::from_str::<std::collections::BTreeMap<String, u64>>(keyed)
                .and_then(|map| map.get("1").copied()),
            Some(2)
        );
    }
}
