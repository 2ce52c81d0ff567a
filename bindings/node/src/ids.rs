//! Ids as JavaScript passes them (numbers or strings) and as it gets them back.

use napi::Either;
use napi::bindgen_prelude::Float64Array;
use recsys_core::Id;

use crate::error::{Result, invalid};

/// An id from JavaScript: an integer number or a string.
pub type JsId = Either<f64, String>;

/// An id for JavaScript: a number for integer ids, otherwise the string.
pub type IdOut = Either<i64, String>;

/// Largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INT: u64 = (1 << 53) - 1;
const MAX_SAFE: f64 = MAX_SAFE_INT as f64;

/// A number is an id when it is an integer a JavaScript number holds exactly (1.5 or 2**60
/// would silently become another id).
/// `at` is the position in a list (`None` for a single id), for the message.
fn number(value: f64, what: &str, at: Option<usize>) -> Result<Id> {
    if value.fract() == 0.0 && value.abs() <= MAX_SAFE {
        Ok(Id::Int(value as i64))
    } else {
        let name = at.map_or_else(|| what.to_owned(), |at| format!("{what}[{at}]"));
        Err(invalid(format!(
            "{name} is {value}: ids are safe integers or strings"
        )))
    }
}

fn element(value: &JsId, what: &str, at: Option<usize>) -> Result<Id> {
    match value {
        Either::A(n) => number(*n, what, at),
        Either::B(s) => Ok(Id::Str(s.as_str().into())),
    }
}

/// One id (`what` names the argument in errors).
pub fn id(value: &JsId, what: &str) -> Result<Id> {
    element(value, what, None)
}

/// A list of ids.
pub fn ids(values: &[JsId], what: &str) -> Result<Vec<Id>> {
    values
        .iter()
        .enumerate()
        .map(|(at, v)| element(v, what, Some(at)))
        .collect()
}

/// Ids from a plain array or a `Float64Array` (the fast path for numeric ids).
pub type IdsIn = Either<Float64Array, Vec<JsId>>;

/// [`ids`] of either form.
pub fn ids_in(values: &IdsIn, what: &str) -> Result<Vec<Id>> {
    match values {
        Either::A(typed) => typed
            .iter()
            .enumerate()
            .map(|(at, &n)| number(n, what, Some(at)))
            .collect(),
        Either::B(list) => ids(list, what),
    }
}

/// An id as JavaScript gets it back.
pub fn out(id: Id) -> IdOut {
    match id {
        Id::Int(n) => Either::A(n),
        Id::Str(s) => Either::B(s.to_string()),
    }
}
