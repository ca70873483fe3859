//! Authentication: Argon2id password hashes and signed tokens (JWT, HS256).

pub mod hashing;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Hashes a password with Argon2id and a random salt. CPU-heavy: call through `hashing::pool()`.
pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("password hashing failed: {e}")))
}

/// Checks a password against a stored hash. CPU-heavy: call through `hashing::pool()`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A password a user may choose: 8 to 128 characters.
pub fn check_new_password(field: &str, password: &str) -> AppResult<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("{field} must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("{field} must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    /// The account's token version when the token was issued.
    ver: i32,
}

/// Signs and checks tokens with one HS256 key.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").finish_non_exhaustive()
    }
}

/// A verified token: whose it is and which password generation it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSubject {
    pub user_id: Uuid,
    pub version: i32,
}

impl TokenKeys {
    pub fn new(secret: &[u8], lifetime: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            lifetime,
        }
    }

    pub fn issue(&self, user_id: Uuid, version: i32) -> AppResult<(String, DateTime<Utc>)> {
        let now = Utc::now();
        let expires = now + self.lifetime;
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
            ver: version,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal(format!("token signing failed: {e}")))?;
        Ok((token, expires))
    }

    /// Checks signature (HS256 only: `alg: none` and other algorithms are refused) and expiry.
    pub fn verify(&self, token: &str) -> AppResult<TokenSubject> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| AppError::Unauthenticated)?;
        let user_id = Uuid::parse_str(&data.claims.sub).map_err(|_| AppError::Unauthenticated)?;
        Ok(TokenSubject {
            user_id,
            version: data.claims.ver,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsE", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_round_trip_and_refuse_other_keys() {
        let keys = TokenKeys::new(b"k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1", Duration::hours(1));
        let id = Uuid::now_v7();
        let (token, _) = keys.issue(id, 3).unwrap();
        assert_eq!(
            keys.verify(&token).unwrap(),
            TokenSubject {
                user_id: id,
                version: 3
            }
        );
        let other = TokenKeys::new(b"k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2", Duration::hours(1));
        assert!(other.verify(&token).is_err());
        let expired = TokenKeys::new(b"k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1", Duration::seconds(-10));
        let (old, _) = expired.issue(id, 3).unwrap();
        assert!(keys.verify(&old).is_err());
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        let keys = TokenKeys::new(b"k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1", Duration::hours(1));
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"sub":"{}","iat":0,"exp":9999999999,"ver":0}}"#,
            Uuid::now_v7()
        ));
        assert!(keys.verify(&format!("{header}.{claims}.")).is_err());
    }

    #[test]
    fn new_passwords_have_a_length() {
        assert!(check_new_password("password", "short").is_err());
        assert!(check_new_password("password", "long enough").is_ok());
    }
}
