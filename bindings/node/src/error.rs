//! The one place where core errors become JavaScript errors. Every error the addon throws or
//! rejects with is an `Error` whose `code` property is one of [`Code`]'s stable names, and
//! whose message is the core's, which names the problem.

use napi::bindgen_prelude::{Env, JsError, Unknown};

/// The `code` of an error thrown by the addon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// A setting or argument out of range, or input data that cannot be used.
    InvalidArgument,
    /// A user or item id the model has never seen.
    UnknownId,
    /// The model is used before `fit`.
    NotFitted,
    /// Model bytes that are not a readable model (damaged, another kind, a newer version).
    CorruptModel,
    /// Reading or writing a file failed.
    Io,
    /// The fit was stopped through its `AbortSignal`.
    Aborted,
    /// Anything else (a core error added later still arrives with its message).
    Internal,
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        match self {
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::UnknownId => "UNKNOWN_ID",
            Code::NotFitted => "NOT_FITTED",
            Code::CorruptModel => "CORRUPT_MODEL",
            Code::Io => "IO",
            Code::Aborted => "ABORTED",
            Code::Internal => "INTERNAL",
        }
    }
}

/// napi's own failures (a conversion the caller's types got wrong) keep their message.
impl From<napi::Status> for Code {
    fn from(status: napi::Status) -> Self {
        match status {
            napi::Status::InvalidArg
            | napi::Status::ObjectExpected
            | napi::Status::StringExpected
            | napi::Status::NumberExpected
            | napi::Status::BooleanExpected
            | napi::Status::ArrayExpected
            | napi::Status::FunctionExpected => Code::InvalidArgument,
            _ => Code::Internal,
        }
    }
}

/// An addon error: a `code` and a message.
pub type Error = napi::Error<Code>;

/// The result of an addon call.
pub type Result<T> = std::result::Result<T, Error>;

/// An error of the binding itself (an argument of the wrong shape), with its code.
pub fn invalid(message: impl ToString) -> Error {
    Error::new(Code::InvalidArgument, message)
}

/// The JavaScript error for a core error.
pub fn to_js(error: recsys_core::Error) -> Error {
    use recsys_core::Error as E;
    let code = match &error {
        E::InvalidParam { .. }
        | E::InvalidInput { .. }
        | E::Shape(_)
        | E::EmptyVocabulary(_)
        | E::NotPositiveDefinite(_) => Code::InvalidArgument,
        E::UnknownUser(_) | E::UnknownItem(_) => Code::UnknownId,
        E::NotFitted(_) => Code::NotFitted,
        E::CorruptModel(_)
        | E::UnsupportedVersion { .. }
        | E::WrongModelKind { .. }
        | E::LightGbmModel { .. } => Code::CorruptModel,
        E::Io { .. } => Code::Io,
        E::Cancelled => Code::Aborted,
        _ => Code::Internal,
    };
    Error::new(code, error.to_string())
}

/// Converts a core result.
pub trait IntoJs<T> {
    fn js(self) -> Result<T>;
}

impl<T> IntoJs<T> for recsys_core::Result<T> {
    fn js(self) -> Result<T> {
        self.map_err(to_js)
    }
}

/// A rejection for a promise (napi's task API rejects with a plain `napi::Error`: this one
/// refers to the JavaScript error built here, so the `code` survives).
pub fn rejection(env: &Env, error: Error) -> napi::Error {
    let value: Unknown<'_> = JsError::from(error).into_unknown(*env);
    napi::Error::from(value)
}
