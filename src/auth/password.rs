//! Password hashing with bcrypt, off the async workers and with bounded concurrency,
//! so a burst of log-ins can neither stall other pages nor pile up unbounded work.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::AppError;

/// bcrypt reads at most this many bytes; longer passwords are refused, never truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;

#[derive(Clone)]
pub struct Hasher {
    cost: u32,
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so both cases take as long.
    dummy_hash: Arc<str>,
}

impl Hasher {
    /// One hash at a time per core: more would only queue inside the CPU.
    pub fn new(cost: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let dummy_hash = bcrypt::hash("tickbox dummy password", cost)
            .expect("bcrypt cost was validated by the configuration");
        Self {
            cost,
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: dummy_hash.into(),
        }
    }

    pub fn cost(&self) -> u32 {
        self.cost
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.cost;
        self.blocking(move || bcrypt::hash(password, cost).map_err(AppError::internal))
            .await
    }

    /// Checks `password` against `hash`, or against a dummy when there is no account.
    /// Over-long passwords are simply wrong, after the same amount of work.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let exists = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let too_long = password.len() > MAX_PASSWORD_BYTES;
        let ok = self
            .blocking(move || {
                let candidate = if too_long {
                    &password[..0]
                } else {
                    &password[..]
                };
                // A malformed stored hash is a wrong password, not a server fault.
                Ok(bcrypt::verify(candidate, &hash).unwrap_or(false))
            })
            .await?;
        Ok(ok && exists && !too_long)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        actix_web::web::block(f).await.map_err(AppError::internal)?
    }
}
