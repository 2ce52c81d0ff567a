//! Accounts and sessions over HTTP, and the attacks on them: expired, forged and `alg: none`
//! tokens, a customer on admin routes, refresh-token reuse, a deactivated user, brute force.

use crate::common;

use axum::http::{Method, StatusCode};
use common::{PASSWORD, TestApp};
use serde_json::json;

on_both_backends!(
    register_login_me_refresh_logout,
    forged_expired_and_unsigned_tokens_are_refused,
    a_customer_cannot_use_admin_routes,
    a_reused_refresh_token_revokes_the_session,
    a_deactivated_user_is_shut_out,
    repeated_failed_logins_are_rate_limited,
    imported_bcrypt_passwords_verify_and_are_rehashed,
    an_imported_customer_without_a_password_signs_in_once_an_admin_sets_one,
);

async fn register_login_me_refresh_logout(app: TestApp) {
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "New@Example.com", "password": "long enough pw", "display_name": "Newcomer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["user"]["email"], "new@example.com");
    assert_eq!(r.body["user"]["role"], "user");
    assert_eq!(r.body["token_type"], "bearer");
    assert!(r.body["expires_in"].as_u64().unwrap() == 1800);
    assert!(!r.text.contains("argon2"), "no hash in the answer");

    let again = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "new@example.com", "password": "another long pw"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let short = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "x@example.com", "password": "short"}),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.body["errors"][0]["field"], "password");

    let login = app.login("new@example.com", "long enough pw").await;
    assert_eq!(login.status, StatusCode::OK);
    let access = login.body["access_token"].as_str().unwrap().to_string();
    let refresh = login.body["refresh_token"].as_str().unwrap().to_string();
    let me = app.get("/api/v1/auth/me", Some(&access)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["display_name"], "Newcomer");
    assert_eq!(me.body["permissions"], json!([]));

    let wrong = app.login("new@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.headers["content-type"], "application/problem+json");
    let nobody = app.login("nobody@example.com", "whatever pw").await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        nobody.body["detail"], wrong.body["detail"],
        "unknown and wrong look the same"
    );

    let next = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.text);
    let refresh2 = next.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(refresh2, refresh, "rotated");
    let me2 = app
        .get("/api/v1/auth/me", next.body["access_token"].as_str())
        .await;
    assert_eq!(me2.status, StatusCode::OK);

    let out = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": refresh2}),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh2}),
        )
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

/// A token signed with `secret` carrying these claims.
fn token(secret: &[u8], claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret).unwrap(),
    )
    .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

async fn forged_expired_and_unsigned_tokens_are_refused(app: TestApp) {
    let customer = app.customers[0];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let secret = "t".repeat(32); // Settings::for_tests
    let good = token(
        secret.as_bytes(),
        json!({"sub": customer.to_string(), "role": "user", "iat": now, "exp": now + 600, "jti": "a"}),
    );
    assert_eq!(
        app.get("/api/v1/cart", Some(&good)).await.status,
        StatusCode::OK,
        "the harness signs as the server does"
    );

    let expired = token(
        secret.as_bytes(),
        json!({"sub": customer.to_string(), "role": "user", "iat": now - 7200, "exp": now - 3600, "jti": "b"}),
    );
    let r = app.get("/api/v1/cart", Some(&expired)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body["detail"].as_str().unwrap().contains("expired"));

    let forged = token(
        b"another secret of at least 32 bytes!",
        json!({"sub": customer.to_string(), "role": "admin", "iat": now, "exp": now + 600, "jti": "c"}),
    );
    assert_eq!(
        app.get("/api/v1/cart", Some(&forged)).await.status,
        StatusCode::UNAUTHORIZED
    );

    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64(format!(
        r#"{{"sub":"{customer}","role":"admin","iat":{now},"exp":{}}}"#,
        now + 600
    )
    .as_bytes());
    for unsigned in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        assert_eq!(
            app.get("/api/v1/cart", Some(&unsigned)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // a token of a user that does not exist
    let ghost = token(
        secret.as_bytes(),
        json!({"sub": "999999", "role": "admin", "iat": now, "exp": now + 600, "jti": "d"}),
    );
    assert_eq!(
        app.get("/api/v1/cart", Some(&ghost)).await.status,
        StatusCode::UNAUTHORIZED
    );

    for bad in ["", "garbage", "a.b.c"] {
        assert_eq!(
            app.get("/api/v1/cart", Some(bad)).await.status,
            StatusCode::UNAUTHORIZED,
            "{bad:?}"
        );
    }
    let no_scheme = app
        .send(
            axum::http::Request::get("/api/v1/cart")
                .header("authorization", good.clone())
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(no_scheme.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/cart", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.finish().await;
}

async fn a_customer_cannot_use_admin_routes(app: TestApp) {
    let customer = app.customer_token(0).await;
    let admin = app.admin_token().await;
    let body = json!({"sku": "NEW-1", "name": "New", "price_cents": 100, "stock": 1});
    let r = app
        .post("/api/v1/admin/products", Some(&customer), body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body["detail"].as_str().unwrap().contains("catalog"));
    // even a token whose claims say admin: the role is the user's current one
    let secret = "t".repeat(32);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let lying = token(
        secret.as_bytes(),
        json!({"sub": app.customers[0].to_string(), "role": "admin", "iat": now, "exp": now + 600, "jti": "x"}),
    );
    assert_eq!(
        app.post("/api/v1/admin/products", Some(&lying), body.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let ok = app.post("/api/v1/admin/products", Some(&admin), body).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(
        app.post("/api/v1/admin/products", None, json!({}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let me = app.get("/api/v1/auth/me", Some(&admin)).await;
    assert_eq!(
        me.body["permissions"],
        json!(["catalog", "orders", "users", "ml", "analytics"])
    );
    app.finish().await;
}

async fn a_reused_refresh_token_revokes_the_session(app: TestApp) {
    let login = app.login("customer3@test.dev", PASSWORD).await;
    let first = login.body["refresh_token"].as_str().unwrap().to_string();
    let second = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": first}),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK);
    let second = second.body["refresh_token"].as_str().unwrap().to_string();
    // the first token again: someone copied it
    let reuse = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": first}),
        )
        .await;
    assert_eq!(reuse.status, StatusCode::UNAUTHORIZED);
    assert!(
        reuse.body["detail"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    // and the legitimate holder's newer token is revoked with the family
    let revoked = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": second}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    // another sign-in is another family, unaffected
    let other = app.login("customer3@test.dev", PASSWORD).await;
    let other = other.body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        app.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": other})
        )
        .await
        .status,
        StatusCode::OK
    );
    let junk = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": "x".repeat(5000)}),
        )
        .await;
    assert_eq!(junk.status, StatusCode::UNAUTHORIZED);
    app.finish().await;
}

async fn a_deactivated_user_is_shut_out(app: TestApp) {
    let login = app.login("customer4@test.dev", PASSWORD).await;
    let access = login.body["access_token"].as_str().unwrap().to_string();
    let refresh = login.body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        app.get("/api/v1/cart", Some(&access)).await.status,
        StatusCode::OK
    );
    app.state
        .store
        .update_user(
            app.customers[4],
            &recsys_store::UserUpdate {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // the harness trusts cached user state for 0 s; the default is 30 s (at most 60)
    assert_eq!(
        app.get("/api/v1/cart", Some(&access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("customer4@test.dev", PASSWORD).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    app.finish().await;
}

async fn repeated_failed_logins_are_rate_limited(app: TestApp) {
    for _ in 0..5 {
        assert_eq!(
            app.login("customer5@test.dev", "wrong password")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let blocked = app.login("customer5@test.dev", PASSWORD).await;
    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let wait: u64 = blocked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&wait));
    assert_eq!(blocked.body["code"], "rate_limited");
    // only that account from that address waits: another customer at the same address (every
    // test client is one) signs in
    assert_eq!(
        app.login("customer6@test.dev", PASSWORD).await.status,
        StatusCode::OK
    );
    app.finish().await;
}

const PROXY: &str = "10.0.0.1";
const ATTACKER: &str = "203.0.113.66";

/// A server behind a proxy at 10.0.0.0/8.
async fn behind_a_proxy(tune: impl FnOnce(&mut recsys_server::config::Settings)) -> TestApp {
    TestApp::with(common::Backend::Sqlite, |s| {
        s.trusted_proxies =
            recsys_server::client::TrustedProxies(vec!["10.0.0.0/8".parse().unwrap()]);
        tune(s);
    })
    .await
}

/// 25 wrong passwords for one account from one address lock only that pair: the account's
/// owner elsewhere, and every other customer at the attacker's address, still sign in; through
/// a trusted proxy and directly.
#[tokio::test]
async fn one_attackers_failures_do_not_lock_out_other_customers() {
    let app = behind_a_proxy(|_| {}).await;
    let mut statuses = Vec::new();
    for _ in 0..25 {
        let r = app
            .login_from("customer7@test.dev", "guess", PROXY, Some(ATTACKER))
            .await;
        statuses.push(r.status);
    }
    assert_eq!(&statuses[..5], &[StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(&statuses[5..], &[StatusCode::TOO_MANY_REQUESTS; 20]);
    // the attacker, even with the right password, waits
    let r = app
        .login_from("customer7@test.dev", PASSWORD, PROXY, Some(ATTACKER))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // the owner from home, through the proxy and directly
    for (peer, forwarded) in [(PROXY, Some("198.51.100.7")), ("198.51.100.8", None)] {
        let r = app
            .login_from("customer7@test.dev", PASSWORD, peer, forwarded)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{peer} {forwarded:?}: {}", r.text);
    }
    // another customer at the attacker's own address, through the proxy and directly
    for (peer, forwarded) in [(PROXY, Some(ATTACKER)), (ATTACKER, None)] {
        let r = app
            .login_from("customer8@test.dev", PASSWORD, peer, forwarded)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{peer} {forwarded:?}: {}", r.text);
    }
    app.finish().await;
}

/// A peer that is not a trusted proxy cannot dodge the lockout by naming a new address in
/// each request: its own address is what counts.
#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = behind_a_proxy(|_| {}).await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let spoofed = format!("198.51.100.{i}");
        let r = app
            .login_from("customer9@test.dev", "guess", ATTACKER, Some(&spoofed))
            .await;
        statuses.push(r.status);
    }
    assert_eq!(&statuses[..5], &[StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(&statuses[5..], &[StatusCode::TOO_MANY_REQUESTS; 3]);
    app.finish().await;
}

/// Failures spread over many addresses, each under the per-address bound, still lock the
/// account once they reach the account's bound.
#[tokio::test]
async fn failures_from_many_addresses_lock_the_account() {
    let app = behind_a_proxy(|s| s.login_account_max_failures = 12).await;
    for i in 0..12 {
        let from = format!("198.51.100.{}", i / 4);
        let r = app
            .login_from("customer10@test.dev", "guess", PROXY, Some(&from))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = app
        .login_from("customer10@test.dev", PASSWORD, PROXY, Some("192.0.2.1"))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert!(r.body["detail"].as_str().unwrap().contains("failed logins"));
    app.finish().await;
}

/// Past the per-address bound an address is slowed, never refused: a customer behind the same
/// NAT as someone who failed many times still signs in.
#[tokio::test]
async fn an_address_with_many_failures_is_slowed_not_locked() {
    let app = behind_a_proxy(|s| s.login_address_slow_after = 3).await;
    for i in 0..6 {
        let r = app
            .login_from(
                &format!("customer{}@test.dev", 11 + i),
                "guess",
                ATTACKER,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = app
        .login_from("customer20@test.dev", PASSWORD, ATTACKER, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    app.finish().await;
}

/// What an admin changes is written to the audit log with the client's address (the one the
/// trusted proxy forwarded).
#[tokio::test]
async fn the_audit_log_names_the_client_address() {
    let app = behind_a_proxy(|_| {}).await;
    let token = app.admin_token().await;
    let req = axum::http::Request::post("/api/v1/admin/categories")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("x-forwarded-for", "1.2.3.4, 198.51.100.42")
        .body(axum::body::Body::from(
            json!({"name": "Audited", "slug": "audited"}).to_string(),
        ))
        .unwrap();
    let r = app.send(common::from_peer(req, PROXY)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let log = app
        .state
        .store
        .audit_log(&Default::default(), recsys_store::Page::default())
        .await
        .unwrap();
    let entry = &log.items[0];
    assert_eq!(entry.target_type, "category", "{entry:?}");
    assert_eq!(entry.client_addr.as_deref(), Some("198.51.100.42"));
    app.finish().await;
}

async fn imported_bcrypt_passwords_verify_and_are_rehashed(app: TestApp) {
    let bcrypt = bcrypt::hash("imported secret", 4).unwrap();
    let user = app
        .state
        .store
        .create_user(&recsys_store::NewUser::new(
            "old@example.com",
            recsys_store::PasswordHash::new(bcrypt).unwrap(),
            recsys_store::Role::User,
        ))
        .await
        .unwrap();
    assert_eq!(
        app.login("old@example.com", "not it at all").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("old@example.com", "imported secret").await.status,
        StatusCode::OK
    );
    let rehashed = app.state.store.user(user.id).await.unwrap();
    assert_eq!(rehashed.password_hash.unwrap().scheme(), "argon2id");
    assert_eq!(
        app.login("old@example.com", "imported secret").await.status,
        StatusCode::OK
    );
    app.finish().await;
}

async fn an_imported_customer_without_a_password_signs_in_once_an_admin_sets_one(app: TestApp) {
    let counts = app
        .state
        .store
        .upsert_customers(&[recsys_store::bulk::CustomerRecord {
            external_id: Some("K9".into()),
            email: Some("nopass@example.com".into()),
            name: "Imported".into(),
            password_hash: None,
            active: true,
            created_at: None,
        }])
        .await
        .unwrap();
    assert_eq!(counts.created, 1);
    let user = app
        .state
        .store
        .user_by_email("nopass@example.com")
        .await
        .unwrap()
        .unwrap();
    // no password: every password is wrong, the empty one too
    for attempt in ["", "anything at all"] {
        assert_eq!(
            app.login("nopass@example.com", attempt).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let admin = app.admin_token().await;
    let seen = app
        .get(&format!("/api/v1/admin/users/{}", user.id), Some(&admin))
        .await;
    assert_eq!(seen.body["has_password"], false);
    assert_eq!(seen.body["external_id"], "K9");
    let short = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", user.id),
            Some(&admin),
            Some(json!({"password": "short"})),
        )
        .await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        short.text
    );
    let set = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", user.id),
            Some(&admin),
            Some(json!({"password": "a new password"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["has_password"], true);
    assert!(!set.text.contains("argon2"), "no hash in the answer");
    assert_eq!(
        app.login("nopass@example.com", "a new password")
            .await
            .status,
        StatusCode::OK
    );
    app.finish().await;
}
