//! Checks on input before it reaches SQL, so that every rejection names the field and the rule.

use crate::error::{Result, StoreError};

/// Maximum lengths (in characters) of the text fields.
pub(crate) const MAX_NAME: usize = 200;
pub(crate) const MAX_SKU: usize = 64;
pub(crate) const MAX_EMAIL: usize = 254;
pub(crate) const MAX_DESCRIPTION: usize = 20_000;
pub(crate) const MAX_QUERY: usize = 500;
pub(crate) const MAX_LABEL: usize = 100;
pub(crate) const MAX_JSON_BYTES: usize = 1 << 20;
pub(crate) const MAX_URL: usize = 2_048;

/// The extensions of the server's own stored images (`/images/<sha256>.<ext>`).
pub const IMAGE_EXTENSIONS: [&str; 3] = ["jpg", "png", "webp"];

/// Whether `name` is a stored image's name: 64 lower-case hex digits (the SHA-256 of its bytes),
/// a dot and one of [`IMAGE_EXTENSIONS`].
pub fn is_image_name(name: &str) -> bool {
    name.split_once('.').is_some_and(|(hash, ext)| {
        hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && IMAGE_EXTENSIONS.contains(&ext)
    })
}

/// A product's picture: one of the server's stored images (`/images/<sha256>.<jpg|png|webp>`, as
/// an upload answers) or an absolute `https://` (or `http://`) address on the shop's own host,
/// at most 2,048 characters, without spaces, quotes or angle brackets.
pub(crate) fn image_url(value: &str) -> Result<()> {
    let bad = |why: String| Err(StoreError::invalid("image_url", why));
    let shown: String = value.chars().take(80).collect();
    if value.chars().count() > MAX_URL {
        return bad(format!("must be at most {MAX_URL} characters"));
    }
    if let Some(name) = value.strip_prefix("/images/") {
        if is_image_name(name) {
            return Ok(());
        }
        return bad(format!(
            "'{shown}' is not a stored image (/images/ then the SHA-256 in hex and .jpg, .png or .webp)"
        ));
    }
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return bad(format!(
            "'{shown}' is not an image address: an https:// address, or /images/... as an upload answers"
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return bad(format!("'{shown}' has no host"));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "\"'<>\\`".contains(*c))
    {
        return bad(format!(
            "'{shown}' contains {c:?}, which an address cannot hold"
        ));
    }
    Ok(())
}

/// A text field: not longer than `max` characters and free of NUL (which Postgres cannot store);
/// `required` fields must hold something besides white space.
pub(crate) fn text(field: &'static str, value: &str, max: usize, required: bool) -> Result<()> {
    if required && value.trim().is_empty() {
        return Err(StoreError::invalid(field, "must not be empty"));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(StoreError::invalid(
            field,
            format!("must be at most {max} characters, got {chars}"),
        ));
    }
    if value.contains('\0') {
        return Err(StoreError::invalid(
            field,
            "must not contain NUL characters",
        ));
    }
    Ok(())
}

/// A short label (placement, action, model name, ...): 1 to 100 characters.
pub(crate) fn label(field: &'static str, value: &str) -> Result<()> {
    text(field, value, MAX_LABEL, true)
}

/// An e-mail address, returned trimmed and lower-cased (addresses are unique case-insensitively).
pub(crate) fn email(value: &str) -> Result<String> {
    let email = value.trim().to_lowercase();
    text("email", &email, MAX_EMAIL, true)?;
    let bad = |why: &str| {
        Err(StoreError::invalid(
            "email",
            format!("'{value}' is not an e-mail address: {why}"),
        ))
    };
    let Some((local, domain)) = email.split_once('@') else {
        return bad("it has no '@'");
    };
    if local.is_empty() || domain.is_empty() {
        return bad("the part before or after '@' is empty");
    }
    if domain.contains('@') {
        return bad("it has more than one '@'");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains white space");
    }
    if !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return bad("the domain is not a dotted name");
    }
    Ok(email)
}

/// A whole number at least `min`.
pub(crate) fn at_least(field: &'static str, value: i64, min: i64) -> Result<()> {
    if value < min {
        return Err(StoreError::invalid(
            field,
            format!("must be >= {min}, got {value}"),
        ));
    }
    Ok(())
}

/// A finite number at least `min`.
pub(crate) fn finite_at_least(field: &'static str, value: f64, min: f64) -> Result<()> {
    if !value.is_finite() || value < min {
        return Err(StoreError::invalid(
            field,
            format!("must be a finite number >= {min}, got {value}"),
        ));
    }
    Ok(())
}

/// A JSON document of bounded size; `object` requires a JSON object at the top.
pub(crate) fn json(field: &'static str, value: &serde_json::Value, object: bool) -> Result<()> {
    if object && !value.is_object() {
        return Err(StoreError::invalid(field, "must be a JSON object"));
    }
    let size = serde_json::to_vec(value).map_or(usize::MAX, |b| b.len());
    if size > MAX_JSON_BYTES {
        return Err(StoreError::invalid(
            field,
            format!("must be at most {MAX_JSON_BYTES} bytes of JSON, got {size}"),
        ));
    }
    if json_has_nul(value) {
        return Err(StoreError::invalid(
            field,
            "must not contain NUL characters",
        ));
    }
    Ok(())
}

fn json_has_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(json_has_nul),
        serde_json::Value::Object(map) => {
            map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v))
        }
        _ => false,
    }
}

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern
/// (`... LIKE $1 ESCAPE '\'`), lower-cased for case-insensitive matching.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_or_rejected_with_the_reason() {
        assert_eq!(email("  Ann@Example.COM ").unwrap(), "ann@example.com");
        for bad in [
            "",
            "ann",
            "@x.com",
            "ann@",
            "a@b@c.com",
            "a b@c.com",
            "ann@localhost",
            "ann@x..com",
        ] {
            let err = email(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid email"), "{bad}: {err}");
        }
    }

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_pattern("Tea"), "%tea%");
    }
}
