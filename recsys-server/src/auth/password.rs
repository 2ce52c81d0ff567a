//! Password hashing: argon2id for every new hash (cost configurable), bcrypt `$2a$/$2b$/$2y$`
//! hashes of imported accounts verified and flagged for re-hashing. Both are deliberately slow,
//! so they run on the blocking pool, never on the async threads.

use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use recsys_store::PasswordHash;

use crate::error::{ApiError, ApiResult};

/// The longest password accepted (argon2 takes any length; this bounds the work of one login).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// The shortest password a new account may have.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// What verifying a password found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub matches: bool,
    /// The hash is of an older scheme (bcrypt) or other argon2 parameters: store a new one.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords with the configured argon2id cost.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Passwords(argon2id m={} t={})",
            self.params.m_cost(),
            self.params.t_cost()
        )
    }
}

impl Passwords {
    /// Argon2id with `memory_kib` of memory and `iterations` passes, one lane.
    pub fn new(memory_kib: u32, iterations: u32) -> Result<Passwords, String> {
        let params = Params::new(memory_kib, iterations, 1, None).map_err(|e| e.to_string())?;
        Ok(Passwords { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Checks a new password's length (the one rule: long enough, not absurdly long).
    pub fn check_new(password: &str) -> ApiResult<()> {
        let n = password.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
            return Err(ApiError::field(
                "password",
                format!("must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters, got {n}"),
            ));
        }
        Ok(())
    }

    /// A new argon2id hash of `password` (random salt), computed off the async threads.
    pub async fn hash(&self, password: String) -> ApiResult<PasswordHash> {
        let argon2 = self.argon2();
        let phc = tokio::task::spawn_blocking(move || {
            argon2
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(ApiError::internal)
        })
        .await
        .map_err(ApiError::internal)??;
        PasswordHash::new(phc).map_err(ApiError::internal)
    }

    /// Whether `password` matches `hash`, computed off the async threads. A hash this server
    /// cannot read never matches.
    pub async fn verify(&self, password: String, hash: PasswordHash) -> ApiResult<Verified> {
        let argon2 = self.argon2();
        let current = self.params.clone();
        tokio::task::spawn_blocking(move || {
            let stored = hash.as_str();
            if matches!(hash.scheme(), "2a" | "2b" | "2y") {
                let matches = bcrypt::verify(password.as_bytes(), stored).unwrap_or(false);
                return Verified {
                    matches,
                    needs_rehash: matches,
                };
            }
            let Ok(phc) = Phc::new(stored) else {
                return Verified {
                    matches: false,
                    needs_rehash: false,
                };
            };
            let matches = argon2.verify_password(password.as_bytes(), &phc).is_ok();
            let same_params = Params::try_from(&phc)
                .is_ok_and(|p| p.m_cost() == current.m_cost() && p.t_cost() == current.t_cost())
                && hash.scheme() == "argon2id";
            Verified {
                matches,
                needs_rehash: matches && !same_params,
            }
        })
        .await
        .map_err(ApiError::internal)
    }

    /// A hash to verify against when the account does not exist, so that a login for an unknown
    /// e-mail takes as long as one with a wrong password (no user enumeration by timing).
    pub async fn dummy_hash(&self) -> ApiResult<PasswordHash> {
        self.hash("no such account".to_string()).await
    }
}
