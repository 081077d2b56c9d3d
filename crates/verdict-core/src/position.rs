//! Positions in text, as people read them: 1-based line and column.

/// 1-based line and column (in characters) of a byte offset; an offset past
/// the end or inside a character counts as the end.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
