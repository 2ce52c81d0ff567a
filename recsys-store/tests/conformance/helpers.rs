//! What the conformance tests share: users, products, hashes and error assertions.

use recsys_core::SplitMix64;
use recsys_store::*;

/// A well-formed argon2id PHC string (not a real hash: the store never verifies).
pub(crate) fn hash(salt: &str) -> PasswordHash {
    PasswordHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1${salt}$aGFzaGhhc2g")).unwrap()
}

pub(crate) async fn user(store: &Store, email: &str) -> User {
    store
        .create_user(&NewUser::new(email, hash("c2FsdA"), Role::User))
        .await
        .unwrap()
}

pub(crate) async fn product(store: &Store, sku: &str, price_cents: i64, stock: i64) -> Product {
    store
        .create_product(&NewProduct::new(
            sku,
            format!("Product {sku}"),
            price_cents,
            stock,
        ))
        .await
        .unwrap()
}

pub(crate) fn assert_invalid<T: std::fmt::Debug>(result: Result<T>, field: &str) {
    match result {
        Err(StoreError::Invalid { field: f, reason }) => assert_eq!(f, field, "reason: {reason}"),
        other => panic!("expected Invalid {{ field: {field} }}, got {other:?}"),
    }
}

pub(crate) fn assert_not_found<T: std::fmt::Debug>(result: Result<T>, entity: &str, id: &str) {
    match result {
        Err(StoreError::NotFound { entity: e, id: i }) => assert_eq!((e, i.as_str()), (entity, id)),
        other => panic!("expected NotFound {entity} {id}, got {other:?}"),
    }
}

/// A standard normal draw (Box-Muller) from the core's seeded generator, for generated vectors.
pub(crate) fn normal(rng: &mut SplitMix64) -> f32 {
    let (u, v) = (rng.next_f32().max(1e-7), rng.next_f32());
    (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
}
