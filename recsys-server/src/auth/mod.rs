//! Accounts and sessions: registration, login (argon2id; bcrypt hashes of imported users are
//! re-hashed on login), access tokens (JWT HS256) and refresh tokens (rotated on every refresh,
//! reuse revokes the family), roles with named permissions, the service API's keys, and the
//! extractors that enforce them.

pub mod api_keys;
pub mod extract;
pub mod password;
pub mod throttle;
pub mod tokens;

use recsys_store::{NewRefreshToken, NewUser, Role, Rotation, Store, User, UserUpdate};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::Settings;
use crate::error::{ApiError, ApiResult};
use crate::ttl_cache::TtlCache;
use api_keys::ApiKeys;
use password::{Passwords, Verified};
use throttle::FailureWindow;
use tokens::TokenKeys;

/// How long a login waits when its address has failed many times (see [`Auth::login`]).
pub const SLOW_LOGIN: std::time::Duration = std::time::Duration::from_secs(1);

/// A permission behind admin routes. Roles map to sets of them, so a role can be narrowed later
/// without touching the routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Catalog,
    Orders,
    Users,
    Ml,
    Analytics,
}

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::Catalog,
        Permission::Orders,
        Permission::Users,
        Permission::Ml,
        Permission::Analytics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Catalog => "catalog",
            Permission::Orders => "orders",
            Permission::Users => "users",
            Permission::Ml => "ml",
            Permission::Analytics => "analytics",
        }
    }
}

/// The permissions of a role.
pub fn permissions(role: Role) -> &'static [Permission] {
    match role {
        Role::Admin => &Permission::ALL,
        Role::User => &[],
    }
}

/// Tokens handed out at login and refresh.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    pub expires_in: u64,
}

/// The account service.
#[derive(Debug)]
pub struct Auth {
    pub keys: TokenKeys,
    pub passwords: Passwords,
    /// The service API's keys.
    pub api_keys: ApiKeys,
    store: Store,
    /// A hash verified when the e-mail is unknown, so such a login costs what a wrong password
    /// costs (no account discovery by timing).
    dummy: recsys_store::PasswordHash,
    /// Failed logins per (account, address), per account, per address (see [`Auth::login`]).
    pair_failures: FailureWindow,
    account_failures: FailureWindow,
    address_failures: FailureWindow,
    /// Each user's active flag and role (`Settings::user_cache_ttl`).
    users: TtlCache<(bool, Role)>,
}

impl Auth {
    pub async fn new(store: Store, secret: &[u8], settings: &Settings) -> Result<Auth, String> {
        let passwords = Passwords::new(settings.argon2_memory_kib, settings.argon2_iterations)?;
        let dummy = passwords.dummy_hash().await.map_err(|e| e.to_string())?;
        Ok(Auth {
            keys: TokenKeys::new(secret)?,
            passwords,
            api_keys: ApiKeys::new(store.clone(), settings),
            store,
            dummy,
            pair_failures: FailureWindow::new(settings.login_max_failures, settings.login_lockout),
            account_failures: FailureWindow::new(
                settings.login_account_max_failures,
                settings.login_lockout,
            ),
            address_failures: FailureWindow::new(
                settings.login_address_slow_after,
                settings.login_lockout,
            ),
            users: TtlCache::new(settings.user_cache_ttl),
        })
    }

    /// Forgets this replica's cached role and active flag of a user (after an admin changed
    /// them); other replicas follow within `Settings::user_cache_ttl`.
    pub fn forget_user(&self, user_id: i64) {
        self.users.forget(&user_id);
    }

    /// Creates a customer account and signs it in.
    pub async fn register(
        &self,
        email: &str,
        password: String,
        display_name: &str,
    ) -> ApiResult<(User, TokenPair)> {
        Passwords::check_new(&password)?;
        let hash = self.passwords.hash(password).await?;
        let mut new = NewUser::new(email, hash, Role::User);
        new.display_name = display_name.to_string();
        let user = self.store.create_user(&new).await?;
        let tokens = self.start_session(&user).await?;
        Ok((user, tokens))
    }

    /// Creates an admin account with this e-mail and password unless an admin exists.
    pub async fn ensure_admin(&self, email: &str, password: &str) -> ApiResult<Option<User>> {
        let admins = self
            .store
            .list_users(
                &recsys_store::UserFilter {
                    role: Some(Role::Admin),
                    ..Default::default()
                },
                recsys_store::Page::new(1, 0),
            )
            .await?;
        if admins.total > 0 {
            return Ok(None);
        }
        let hash = self.passwords.hash(password.to_string()).await?;
        let mut new = NewUser::new(email, hash, Role::Admin);
        new.display_name = "Admin".into();
        Ok(Some(self.store.create_user(&new).await?))
    }

    /// Checks e-mail and password. Failed attempts are counted three ways (OWASP's advice
    /// against lockouts that an attacker can turn on other customers):
    /// - per account and client address: past `--login-max-failures` that pair is refused (429
    ///   with the seconds to wait), so an attacker locks out only themselves;
    /// - per account from every address: past `--login-account-max-failures` the account is
    ///   refused, which bounds an attack spread over many addresses;
    /// - per address over all accounts: past `--login-address-slow-after` every login from it
    ///   waits [`SLOW_LOGIN`] first. Never refused: behind a NAT or proxy it is many customers.
    pub async fn login(
        &self,
        email: &str,
        password: String,
        client: &str,
    ) -> ApiResult<(User, TokenPair)> {
        let account = email.trim().to_lowercase();
        let pair_key = format!("{account}\n{client}");
        for (window, key) in [
            (&self.pair_failures, &pair_key),
            (&self.account_failures, &account),
        ] {
            if let Some(wait) = window.blocked(key) {
                metrics::counter!("recsys_login_refused_total").increment(1);
                return Err(ApiError::TooManyRequests {
                    detail: format!("too many failed logins; try again in {wait} s"),
                    retry_after_s: wait,
                });
            }
        }
        if self.address_failures.blocked(client).is_some() {
            metrics::counter!("recsys_login_slowed_total").increment(1);
            tokio::time::sleep(SLOW_LOGIN).await;
        }
        if password.chars().count() > password::MAX_PASSWORD_CHARS {
            return Err(ApiError::field("password", "is too long"));
        }
        let user = self.store.user_by_email(email).await?;
        // an unknown address, or an account without a password (an imported customer that an
        // admin has not given one yet), is checked against the dummy hash: the same work and
        // the same answer as a wrong password
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let has_password = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy.clone());
        let Verified {
            matches,
            needs_rehash,
        } = self.passwords.verify(password.clone(), hash).await?;
        let user = match user {
            Some(u) if matches && has_password => u,
            _ => {
                self.pair_failures.record(&pair_key);
                self.account_failures.record(&account);
                self.address_failures.record(client);
                return Err(ApiError::Unauthorized("wrong e-mail or password".into()));
            }
        };
        if !user.active {
            return Err(ApiError::Forbidden("this account is deactivated".into()));
        }
        self.pair_failures.clear(&pair_key);
        if needs_rehash {
            let hash = self.passwords.hash(password).await?;
            self.store
                .update_user(
                    user.id,
                    &UserUpdate {
                        password_hash: Some(hash),
                        ..Default::default()
                    },
                )
                .await?;
        }
        self.store.record_login(user.id).await?;
        let tokens = self.start_session(&user).await?;
        Ok((user, tokens))
    }

    async fn start_session(&self, user: &User) -> ApiResult<TokenPair> {
        let refresh = tokens::random_hex(32)?;
        self.store
            .create_refresh_token(&NewRefreshToken {
                user_id: user.id,
                family: tokens::random_hex(16)?,
                token_hash: tokens::secret_hash(&refresh),
                expires_at: tokens::refresh_expiry_ms(),
            })
            .await?;
        let (access, expires_in) = self.keys.issue(user.id, user.role)?;
        Ok(TokenPair {
            access_token: access,
            refresh_token: refresh,
            token_type: "bearer",
            expires_in,
        })
    }

    /// Exchanges a refresh token for a new pair. A token presented twice revokes its family.
    pub async fn refresh(&self, refresh_token: &str) -> ApiResult<TokenPair> {
        if refresh_token.is_empty() || refresh_token.len() > 128 {
            return Err(ApiError::Unauthorized(
                "the refresh token is invalid".into(),
            ));
        }
        let next = tokens::random_hex(32)?;
        let outcome = self
            .store
            .rotate_refresh_token(
                &tokens::secret_hash(refresh_token),
                &tokens::secret_hash(&next),
                tokens::refresh_expiry_ms(),
            )
            .await?;
        let user_id = match outcome {
            Rotation::Rotated { user_id, .. } => user_id,
            Rotation::Reused { user_id } => {
                tracing::warn!(
                    request_id = %crate::middleware::current_request_id(),
                    user_id,
                    "refresh token reused: its session is revoked"
                );
                return Err(ApiError::Unauthorized(
                    "the refresh token was already used: the session is revoked, sign in again"
                        .into(),
                ));
            }
            Rotation::Revoked => {
                return Err(ApiError::Unauthorized("the session was signed out".into()));
            }
            Rotation::Expired => {
                return Err(ApiError::Unauthorized(
                    "the refresh token has expired".into(),
                ));
            }
            Rotation::Unknown => {
                return Err(ApiError::Unauthorized(
                    "the refresh token is invalid".into(),
                ));
            }
        };
        let user = self.store.user(user_id).await?;
        if !user.active {
            self.store.revoke_user_refresh_tokens(user_id).await?;
            return Err(ApiError::Forbidden("this account is deactivated".into()));
        }
        let (access, expires_in) = self.keys.issue(user.id, user.role)?;
        Ok(TokenPair {
            access_token: access,
            refresh_token: next,
            token_type: "bearer",
            expires_in,
        })
    }

    /// Ends the session of this refresh token (its whole family).
    pub async fn logout(&self, refresh_token: &str) -> ApiResult<()> {
        if refresh_token.is_empty() || refresh_token.len() > 128 {
            return Ok(());
        }
        self.store
            .revoke_refresh_family(&tokens::secret_hash(refresh_token))
            .await?;
        Ok(())
    }

    /// The user's current active flag and role, from memory if fetched within the cache's time
    /// to live, else from the store.
    pub async fn user_status(&self, user_id: i64) -> ApiResult<(bool, Role)> {
        if let Some(status) = self.users.get(&user_id) {
            return Ok(status);
        }
        let user = match self.store.user(user_id).await {
            Ok(u) => u,
            Err(recsys_store::StoreError::NotFound { .. }) => {
                return Err(ApiError::Unauthorized(
                    "the token's user does not exist".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        self.users.put(user_id, (user.active, user.role));
        Ok((user.active, user.role))
    }
}
