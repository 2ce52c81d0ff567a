//! Users: accounts with a unique e-mail, a password hash (the server hashes; the store never sees
//! a password, and [`PasswordHash`] cannot hold one), a role and an active flag.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::page::{Page, Paged};
use crate::store::{Store, with_pool};
use crate::time::{Millis, now_ms};
use crate::validate;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
        }
    }

    fn parse(s: &str) -> Result<Role> {
        match s {
            "admin" => Ok(Role::Admin),
            "user" => Ok(Role::User),
            other => Err(StoreError::Corrupt {
                what: "users.role".into(),
                reason: format!("unknown role '{other}'"),
            }),
        }
    }
}

/// A password hash in PHC string format (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`), or in the
/// same `$`-separated shape of bcrypt (`$2b$12$...`, for imported accounts). Anything else, a
/// password in clear above all, is refused: the type cannot hold one. Its `Debug` shows only
/// the scheme, so a logged user never leaks a hash.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Longest hash accepted.
    pub const MAX_LEN: usize = 1024;

    /// Checks the PHC shape: `$`, a scheme id of `[a-z0-9-]` (at most 32), then one or more
    /// `$`-separated fields of the PHC alphabet (`[A-Za-z0-9/+.=,-]`).
    pub fn new(hash: impl Into<String>) -> Result<PasswordHash> {
        let hash = hash.into();
        let bad = |reason: &str| {
            Err(StoreError::invalid(
                "password_hash",
                format!("{reason}: expected a PHC string such as $argon2id$v=19$m=...$salt$hash"),
            ))
        };
        if hash.len() > Self::MAX_LEN {
            return bad(&format!("longer than {} bytes", Self::MAX_LEN));
        }
        let Some(rest) = hash.strip_prefix('$') else {
            return bad("does not start with '$'");
        };
        let mut fields = rest.split('$');
        let scheme = fields.next().unwrap_or_default();
        if scheme.is_empty()
            || scheme.len() > 32
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return bad("no valid scheme id");
        }
        let mut count = 0;
        for field in fields {
            count += 1;
            if field.is_empty()
                || !field
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/+.=,-".contains(&b))
            {
                return bad("a field is empty or has characters outside the PHC alphabet");
            }
        }
        if count == 0 {
            return bad("no fields after the scheme id");
        }
        Ok(PasswordHash(hash))
    }

    /// The PHC string, for the password hasher to verify against.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The scheme id (`argon2id`, `2b`, ...).
    pub fn scheme(&self) -> &str {
        self.0[1..].split('$').next().unwrap_or_default()
    }
}

impl TryFrom<String> for PasswordHash {
    type Error = StoreError;
    fn try_from(s: String) -> Result<PasswordHash> {
        PasswordHash::new(s)
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasswordHash(${}$<redacted>)", self.scheme())
    }
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    /// Lower-cased; unique.
    pub email: String,
    /// What the server's password hasher produced (or the old platform's, for an imported
    /// customer). Never a password; never serialized. `None`: the account cannot sign in until
    /// an admin sets a password (an imported customer without one).
    #[serde(skip_serializing)]
    pub password_hash: Option<PasswordHash>,
    /// The shop's own id of this customer (import and the service API), unique when set.
    pub external_id: Option<String>,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub last_login_at: Option<Millis>,
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NewUser {
    pub email: String,
    pub password_hash: PasswordHash,
    pub display_name: String,
    pub role: Role,
}

impl NewUser {
    pub fn new(email: impl Into<String>, password_hash: PasswordHash, role: Role) -> NewUser {
        NewUser {
            email: email.into(),
            password_hash,
            display_name: String::new(),
            role,
        }
    }
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct UserUpdate {
    pub email: Option<String>,
    pub password_hash: Option<PasswordHash>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Which users to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Case-insensitive substring of the e-mail address.
    pub email_contains: Option<String>,
}

pub(crate) type UserRow = (
    i64,
    String,
    String,
    String,
    String,
    bool,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

macro_rules! user_columns {
    () => {
        "id, email, password_hash, display_name, role, active, created_at, updated_at, last_login_at, external_id"
    };
}
pub(crate) use user_columns;

/// A stored `users.password_hash`: empty is "no password" (an imported customer), anything
/// else must be a PHC string.
pub(crate) fn stored_password_hash(text: String) -> Result<Option<PasswordHash>> {
    if text.is_empty() {
        return Ok(None);
    }
    PasswordHash::new(text)
        .map(Some)
        .map_err(|_| StoreError::Corrupt {
            what: "users.password_hash".into(),
            reason: "not a PHC string".into(),
        })
}

pub(crate) fn user_from_row(r: UserRow) -> Result<User> {
    let password_hash = stored_password_hash(r.2)?;
    Ok(User {
        id: r.0,
        email: r.1,
        password_hash,
        display_name: r.3,
        role: Role::parse(&r.4)?,
        active: r.5,
        created_at: r.6,
        updated_at: r.7,
        last_login_at: r.8,
        external_id: r.9,
    })
}

impl Store {
    /// Creates a user. The e-mail is trimmed and lower-cased; a second account with the same
    /// address is `Conflict { field: "email" }`.
    pub async fn create_user(&self, user: &NewUser) -> Result<User> {
        let email = validate::email(&user.email)?;
        validate::text(
            "display_name",
            &user.display_name,
            validate::MAX_NAME,
            false,
        )?;
        let now = now_ms();
        let sql = concat!(
            "INSERT INTO users (email, password_hash, display_name, role, active, created_at, updated_at) ",
            "VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING ",
            user_columns!()
        );
        let row: UserRow = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(&email)
            .bind(user.password_hash.as_str())
            .bind(&user.display_name)
            .bind(user.role.as_str())
            .bind(now)
            .fetch_one(pool)
            .await)?;
        user_from_row(row)
    }

    /// The user with this id.
    pub async fn user(&self, id: i64) -> Result<User> {
        let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
        let row: Option<UserRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
        user_from_row(row.ok_or_else(|| StoreError::not_found("user", id))?)
    }

    /// The user with this e-mail address (compared case-insensitively), if any.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = email.trim().to_lowercase();
        let sql = concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1");
        let row: Option<UserRow> =
            with_pool!(self, pool => sqlx::query_as(sql).bind(&email).fetch_optional(pool).await)?;
        row.map(user_from_row).transpose()
    }

    /// Users matching the filter, newest first.
    pub async fn list_users(&self, filter: &UserFilter, page: Page) -> Result<Paged<User>> {
        let page = page.check()?;
        let pattern = filter.email_contains.as_deref().map(validate::like_pattern);
        let role = filter.role.map(Role::as_str);
        let condition = "($1 IS NULL OR role = $1) AND ($2 IS NULL OR active = $2) \
                         AND ($3 IS NULL OR email LIKE $3 ESCAPE '\\')";
        let list = format!(
            "SELECT {} FROM users WHERE {condition} ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5",
            user_columns!()
        );
        let count = format!("SELECT COUNT(*) FROM users WHERE {condition}");
        let (rows, total): (Vec<UserRow>, i64) = with_pool!(self, pool => {
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(list))
                .bind(role).bind(filter.active).bind(&pattern).bind(page.limit).bind(page.offset)
                .fetch_all(pool).await?;
            let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count))
                .bind(role).bind(filter.active).bind(&pattern)
                .fetch_one(pool).await?;
            Ok::<_, StoreError>((rows, total))
        })?;
        let items = rows.into_iter().map(user_from_row).collect::<Result<_>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// Changes the given fields of a user and returns the result.
    pub async fn update_user(&self, id: i64, update: &UserUpdate) -> Result<User> {
        let email = update.email.as_deref().map(validate::email).transpose()?;
        if let Some(name) = &update.display_name {
            validate::text("display_name", name, validate::MAX_NAME, false)?;
        }
        let sql = concat!(
            "UPDATE users SET email = COALESCE($2, email), password_hash = COALESCE($3, password_hash), ",
            "display_name = COALESCE($4, display_name), role = COALESCE($5, role), ",
            "active = COALESCE($6, active), updated_at = $7 WHERE id = $1 RETURNING ",
            user_columns!()
        );
        let row: Option<UserRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(id)
            .bind(&email)
            .bind(update.password_hash.as_ref().map(PasswordHash::as_str))
            .bind(&update.display_name)
            .bind(update.role.map(Role::as_str))
            .bind(update.active)
            .bind(now_ms())
            .fetch_optional(pool)
            .await)?;
        user_from_row(row.ok_or_else(|| StoreError::not_found("user", id))?)
    }

    /// Notes a successful login.
    pub async fn record_login(&self, id: i64) -> Result<()> {
        let done = with_pool!(self, pool => sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
            .bind(id).bind(now_ms()).execute(pool).await.map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StoreError::not_found("user", id));
        }
        Ok(())
    }
}
