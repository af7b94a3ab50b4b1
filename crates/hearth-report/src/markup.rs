//! The escaping loop that `junit.xml` and `report.html` share: `&`, `<` and `>` always
//! become entities; what else does, and what a character that may not appear becomes, is
//! each format's own rule.

/// Escape `s` character by character: `&`, `<`, `>` as entities, a character for which
/// `entity` gives a replacement as that replacement, any other as `other` maps it.
pub(crate) fn escape_markup(
    s: &str,
    entity: impl Fn(char) -> Option<&'static str>,
    other: impl Fn(char) -> char,
) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => match entity(c) {
                Some(e) => out.push_str(e),
                None => out.push(other(c)),
            },
        }
    }
    out
}
