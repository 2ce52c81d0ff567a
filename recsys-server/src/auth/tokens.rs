//! Access tokens (JWT, HS256 only, 30 minutes) and refresh tokens (random, 7 days, stored hashed).

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use recsys_store::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// How long an access token is valid.
pub const ACCESS_TTL: Duration = Duration::from_secs(30 * 60);
/// How long a refresh token is valid.
pub const REFRESH_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string (JWT's `sub` is a string).
    pub sub: String,
    pub role: Role,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

/// Signs and checks access tokens with one shared secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(HS256, <secret>)")
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Result<TokenKeys, String> {
        let encoding = EncodingKey::from_secret(secret).map_err(|e| e.to_string())?;
        let decoding = DecodingKey::from_secret(secret).map_err(|e| e.to_string())?;
        // HS256 only: a token that names another algorithm (`none` above all) is refused
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Ok(TokenKeys {
            encoding,
            decoding,
            validation,
        })
    }

    /// A new access token for the user; returns the token and its lifetime in seconds.
    pub fn issue(&self, user_id: i64, role: Role) -> Result<(String, u64), ApiError> {
        let iat = unix_now();
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            iat,
            exp: iat + ACCESS_TTL.as_secs(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)?;
        Ok((token, ACCESS_TTL.as_secs()))
    }

    /// The claims of a valid token: signed with our secret, HS256, not expired.
    pub fn check(&self, token: &str) -> Result<(i64, Claims), ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                ApiError::Unauthorized(match e.kind() {
                    ErrorKind::ExpiredSignature => "the access token has expired".into(),
                    ErrorKind::InvalidAlgorithm => {
                        "the access token's algorithm is not HS256".into()
                    }
                    ErrorKind::InvalidSignature => "the access token's signature is invalid".into(),
                    _ => "the access token is invalid".into(),
                })
            })?;
        let user_id = data
            .claims
            .sub
            .parse()
            .map_err(|_| ApiError::Unauthorized("the access token is invalid".into()))?;
        Ok((user_id, data.claims))
    }
}

/// `n` random bytes from the operating system, as lowercase hex.
pub fn random_hex(n: usize) -> Result<String, ApiError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// What the store keeps of a refresh token or an API key: its SHA-256, hex (both are long
/// random strings, so a fast hash is enough).
pub fn secret_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Milliseconds since the epoch when a refresh token issued now expires.
pub fn refresh_expiry_ms() -> i64 {
    recsys_store::now_ms() + REFRESH_TTL.as_millis() as i64
}
