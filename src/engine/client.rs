//! The client: one HTTP connection pool and one runtime, shared by every upload and safe to
//! use from many threads at once.

use super::config::ClientConfig;
use super::error::Result;
use super::events::Observers;
use super::request::{UploadFileOutput, UploadFileRequest};

pub struct Client {
    config: ClientConfig,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client> {
        let config = config.resolve_env()?;
        Ok(Client { config })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Uploads one file, blocking the calling thread until it is done, paused or aborted.
    /// Every callback in `observers` runs on this thread.
    pub fn upload_file(
        &self,
        request: UploadFileRequest,
        observers: Observers,
    ) -> Result<UploadFileOutput> {
        let _ = (request, observers);
        todo!("upload engine")
    }
}
