//! The one place where core errors become JavaScript errors. Every error the addon throws or
//! rejects with is an `Error` whose `code` property is one of [`Code`]'s stable names, and
//! whose message is the core's, which names the problem.

use napi::bindgen_prelude::{Env, JsError, Unknown};
use napi_derive::napi;

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

impl Code {
    /// Every code, in the order `lib/errors.ts` lists them (its test compares the two).
    pub const ALL: [Code; 7] = [
        Code::InvalidArgument,
        Code::UnknownId,
        Code::NotFitted,
        Code::CorruptModel,
        Code::Io,
        Code::Aborted,
        Code::Internal,
    ];
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

/// The JavaScript error for a core error: the code the error table in `docs/architecture.md`
/// gives its kind.
pub fn to_js(error: recsys_core::Error) -> Error {
    use recsys_core::ErrorKind as K;
    let code = match error.kind() {
        K::InvalidArgument => Code::InvalidArgument,
        K::UnknownId => Code::UnknownId,
        K::NotFitted => Code::NotFitted,
        K::CorruptModel => Code::CorruptModel,
        K::Io => Code::Io,
        K::Cancelled => Code::Aborted,
    };
    Error::new(code, error.to_string())
}

/// Every code an error of the addon can carry (`ERROR_CODES` of `lib/errors.ts` is checked
/// against it).
#[napi(js_name = "_errorCodes")]
pub fn error_codes() -> Vec<&'static str> {
    Code::ALL.iter().map(|c| c.as_ref()).collect()
}

/// One core error of every variant and the code it is thrown with, for the test that checks
/// the error table.
#[napi(object)]
pub struct ErrorExample {
    pub variant: String,
    pub code: String,
    pub message: String,
}

#[napi(js_name = "_errorExamples")]
pub fn error_examples() -> Vec<ErrorExample> {
    recsys_core::Error::examples()
        .into_iter()
        .map(|e| {
            let variant = e.variant().to_owned();
            let error = to_js(e);
            ErrorExample {
                variant,
                code: error.status.as_ref().to_owned(),
                message: error.reason.clone(),
            }
        })
        .collect()
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
