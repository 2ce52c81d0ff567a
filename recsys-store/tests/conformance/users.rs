//! Users: accounts round-trip, e-mails unique case-insensitively, bad input named, filters and pages.

use std::collections::HashSet;

use recsys_store::*;

use super::helpers::*;

on_both_backends!(
    users_round_trip_and_emails_are_unique_case_insensitively,
    invalid_user_input_names_the_field,
    list_users_filters_and_pages,
    api_keys_are_found_by_hash_marked_used_and_revoked,
);

async fn users_round_trip_and_emails_are_unique_case_insensitively(store: &Store) {
    let mut new = NewUser::new("  Ann@Example.com ", hash("c2FsdDE"), Role::Admin);
    new.display_name = "Ann".into();
    let ann = store.create_user(&new).await.unwrap();
    assert_eq!(ann.email, "ann@example.com");
    assert_eq!(
        (ann.role, ann.active, ann.display_name.as_str()),
        (Role::Admin, true, "Ann")
    );
    assert_eq!(store.user(ann.id).await.unwrap(), ann);
    assert_eq!(
        store.user_by_email("ANN@example.COM").await.unwrap(),
        Some(ann.clone())
    );
    assert_eq!(store.user_by_email("bob@example.com").await.unwrap(), None);

    let again = store
        .create_user(&NewUser::new(
            "ann@EXAMPLE.com",
            hash("c2FsdDI"),
            Role::User,
        ))
        .await;
    assert!(
        matches!(
            again,
            Err(StoreError::Conflict {
                entity: "user",
                field: "email"
            })
        ),
        "{again:?}"
    );

    let bob = user(store, "bob@example.com").await;
    let clash = store
        .update_user(
            bob.id,
            &UserUpdate {
                email: Some("ann@example.com".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(clash, Err(StoreError::Conflict { field: "email", .. })),
        "{clash:?}"
    );

    let updated = store
        .update_user(
            bob.id,
            &UserUpdate {
                role: Some(Role::Admin),
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.role, updated.active, updated.email.as_str()),
        (Role::Admin, false, "bob@example.com")
    );
    store.record_login(bob.id).await.unwrap();
    assert!(store.user(bob.id).await.unwrap().last_login_at.is_some());
    assert_not_found(store.user(9_999).await, "user", "9999");
    assert_not_found(
        store.update_user(9_999, &UserUpdate::default()).await,
        "user",
        "9999",
    );
}

async fn invalid_user_input_names_the_field(store: &Store) {
    assert_invalid(
        store
            .create_user(&NewUser::new("not-an-email", hash("aA"), Role::User))
            .await,
        "email",
    );
    // a password hash is a PHC string: a password in clear cannot even be made into one
    for not_a_hash in [
        "",
        "hunter2",
        "$",
        "$argon2id",
        "$Argon2$x",
        "$argon2id$v=19$$abc",
        "$argon2id$a b",
        "$2b$12$bad'quote",
    ] {
        assert_invalid(PasswordHash::new(not_a_hash), "password_hash");
    }
    assert_invalid(
        PasswordHash::new(format!("$argon2id${}", "a".repeat(1100))),
        "password_hash",
    );
    let bcrypt =
        PasswordHash::new("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW").unwrap();
    assert_eq!(bcrypt.scheme(), "2b");
    let argon = hash("c2FsdA");
    assert_eq!(argon.scheme(), "argon2id");
    assert_eq!(format!("{argon:?}"), "PasswordHash($argon2id$<redacted>)");
    let debug_user = format!("{:?}", NewUser::new("a@b.co", argon, Role::User));
    assert!(
        !debug_user.contains("aGFzaGhhc2g"),
        "Debug never shows the hash: {debug_user}"
    );
    let long = format!("{}@example.com", "x".repeat(300));
    assert_invalid(
        store
            .create_user(&NewUser::new(long, hash("aA"), Role::User))
            .await,
        "email",
    );
    let mut nul = NewUser::new("nul@example.com", hash("aA"), Role::User);
    nul.display_name = "a\0b".into();
    assert_invalid(store.create_user(&nul).await, "display_name");
    assert_eq!(
        store
            .list_users(&UserFilter::default(), Page::default())
            .await
            .unwrap()
            .total,
        0
    );
}

async fn list_users_filters_and_pages(store: &Store) {
    for i in 0..7 {
        let u = user(store, &format!("user{i}@shop.test")).await;
        if i % 3 == 0 {
            store
                .update_user(
                    u.id,
                    &UserUpdate {
                        role: Some(Role::Admin),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
        }
    }
    user(store, "other@elsewhere.test").await;
    let admins = store
        .list_users(
            &UserFilter {
                role: Some(Role::Admin),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(admins.total, 3);
    let shop = UserFilter {
        email_contains: Some("SHOP.test".into()),
        ..Default::default()
    };
    let first = store.list_users(&shop, Page::new(4, 0)).await.unwrap();
    let second = store.list_users(&shop, Page::new(4, 4)).await.unwrap();
    assert_eq!(
        (first.total, first.items.len(), second.items.len()),
        (7, 4, 3)
    );
    let ids: HashSet<i64> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|u| u.id)
        .collect();
    assert_eq!(ids.len(), 7, "pages overlap");
    assert_invalid(store.list_users(&shop, Page::new(0, 0)).await, "limit");
    assert_invalid(store.list_users(&shop, Page::new(10, -1)).await, "offset");
}

async fn api_keys_are_found_by_hash_marked_used_and_revoked(store: &Store) {
    let admin = user(store, "admin@example.com").await;
    let new = |name: &str, hash: &str, scopes: &[&str]| NewApiKey {
        name: name.into(),
        prefix: format!("rk_{}", &hash[..4]),
        key_hash: hash.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        created_by: Some(admin.id),
    };
    let shop = store
        .create_api_key(&new(
            "shop",
            "aaaa1111",
            &["catalog:write", "recommend:read"],
        ))
        .await
        .unwrap();
    assert_eq!(
        (
            shop.scopes.clone(),
            shop.created_by,
            shop.last_used_at,
            shop.revoked_at
        ),
        (
            vec!["catalog:write".to_string(), "recommend:read".to_string()],
            Some(admin.id),
            None,
            None
        )
    );
    let other = store
        .create_api_key(&new("reader", "bbbb2222", &["recommend:read"]))
        .await
        .unwrap();
    assert_eq!(
        store
            .api_keys()
            .await
            .unwrap()
            .iter()
            .map(|k| k.id)
            .collect::<Vec<_>>(),
        [other.id, shop.id],
        "newest first"
    );
    let used = store.use_api_key("aaaa1111").await.unwrap().unwrap();
    assert_eq!(used.id, shop.id);
    assert!(used.last_used_at.is_some() && used.active());
    assert_eq!(store.use_api_key("cccc3333").await.unwrap(), None);
    assert!(matches!(
        store
            .create_api_key(&new("again", "aaaa1111", &["recommend:read"]))
            .await,
        Err(StoreError::Conflict {
            entity: "api key",
            field: "key_hash"
        })
    ));
    let revoked = store.revoke_api_key(shop.id).await.unwrap();
    let at = revoked.revoked_at.expect("revoked");
    let found = store.use_api_key("aaaa1111").await.unwrap().unwrap();
    assert!(!found.active(), "a revoked key is found, and says so");
    assert_eq!(
        found.last_used_at, used.last_used_at,
        "and is not marked used"
    );
    assert_eq!(
        store.revoke_api_key(shop.id).await.unwrap().revoked_at,
        Some(at)
    );
    assert_not_found(store.revoke_api_key(9999).await, "api key", "9999");
    for (bad, field) in [
        (new("", "dddd4444", &["recommend:read"]), "name"),
        (new("x", "dddd4444", &[]), "scopes"),
        (new("x", "dddd4444", &["two words"]), "scopes"),
        (new("x", "dd dd4444", &["recommend:read"]), "prefix"),
    ] {
        assert_invalid(store.create_api_key(&bad).await, field);
    }
    // what a key writes is attributed to it in the audit log
    let entry = store
        .append_audit(&NewAuditEntry {
            actor_id: None,
            api_key_id: Some(other.id),
            client_addr: None,
            action: "service.products".into(),
            target_type: "product".into(),
            target_id: None,
            before: None,
            after: Some(serde_json::json!({"created": 2})),
        })
        .await
        .unwrap();
    assert_eq!((entry.actor_id, entry.api_key_id), (None, Some(other.id)));
}
