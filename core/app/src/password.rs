//! Password hashing with argon2id on reused memory.
//!
//! Each argon2 hash needs 19 MiB of working memory. Allocating it per hash makes the
//! allocator keep tens of megabytes per thread long after a burst of sign-ins, so the
//! working memory is allocated once per hashing slot and reused; at most [`SLOTS`] hashes
//! run at once. Hashes are standard PHC strings (`$argon2id$v=19$m=…`).

use std::sync::Mutex;

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;

use crate::{AppError, AppResult};

/// How many hashes may run at once.
pub const SLOTS: usize = 2;

static PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(SLOTS);
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs `work` on a blocking thread with working memory of `blocks` blocks.
async fn with_memory<T: Send + 'static>(
    blocks: usize,
    work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
) -> AppResult<T> {
    let _permit = PERMITS
        .acquire()
        .await
        .map_err(|_| AppError::Internal("password hashing is shut down".into()))?;
    let reused = MEMORY.lock().ok().and_then(|mut pool| pool.pop());
    let (result, memory) = tokio::task::spawn_blocking(move || {
        let mut memory = match reused {
            Some(m) if m.len() == blocks => m,
            _ => vec![Block::default(); blocks],
        };
        let result = work(&mut memory);
        (result, memory)
    })
    .await
    .map_err(|e| AppError::Internal(format!("password hashing task failed: {e}")))?;
    if let Ok(mut pool) = MEMORY.lock()
        && pool.len() < SLOTS
    {
        pool.push(memory);
    }
    Ok(result)
}

/// Hashes a password into a PHC string with the default argon2id parameters.
pub async fn hash(password: &str) -> AppResult<String> {
    let password = password.as_bytes().to_vec();
    let params = Params::DEFAULT;
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let failed =
        |e: &dyn std::fmt::Display| AppError::Internal(format!("password hashing failed: {e}"));
    let output = with_memory(params.block_count(), move |memory| {
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into_with_memory(&password, &salt, &mut out, memory)
            .map(|()| out)
    })
    .await?
    .map_err(|e| failed(&e))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&Params::DEFAULT).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc`. A malformed hash never matches.
pub async fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(params), Some(expected), Some(salt)) =
        (Params::try_from(&parsed), parsed.hash, parsed.salt)
    else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = parsed
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or(Version::V0x13);
    let mut salt_buf = [0u8; Salt::MAX_LENGTH];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let salt = salt.to_vec();
    let password = password.as_bytes().to_vec();
    let len = expected.len();
    let computed = with_memory(params.block_count(), move |memory| {
        let mut out = vec![0u8; len];
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(&password, &salt, &mut out, memory)
            .ok()
            .map(|()| out)
    })
    .await;
    match computed {
        // `Output` compares in constant time.
        Ok(Some(out)) => Output::new(&out).is_ok_and(|out| out == expected),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_interoperate_with_the_argon2_crate() {
        let phc = hash("correct horse battery").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc).await);
        assert!(!verify("correct horse batterz", &phc).await);
        assert!(!verify("x", "not a hash").await);
        // A hash we make verifies with the crate's own verifier, and the other way round.
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"hunter2hunter2", &salt)
            .unwrap()
            .to_string();
        assert!(verify("hunter2hunter2", &theirs).await);
    }
}
