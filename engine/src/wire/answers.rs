//! What turns an unexpected answer to one attempt into its error: the store's error document,
//! or one message when the answer did not come from an object store; cleaned of the
//! credentials the attempt was signed with; and learnt from (a skewed clock, expired
//! credentials) by the transport.

use super::credentials_cache::SigningCredentials;
use super::foreign_answer;
use super::network_error::host_of;
use super::protocol::{Operation, Response, SignedRequest};
use super::redact::Secrets;
use super::transport::Transport;
use crate::error::UploadError;
use std::sync::Arc;
use std::time::SystemTime;

pub(crate) struct Answers<'a> {
    pub transport: &'a Transport,
    pub operation: &'a Operation,
    /// The credentials the attempt was signed with: those a server may echo, and those a
    /// refusal invalidates.
    pub creds: Arc<SigningCredentials>,
    pub signed_at: SystemTime,
}

impl Answers<'_> {
    /// An answer with an unexpected status.
    pub fn refused(&self, signed: &SignedRequest, response: &Response) -> UploadError {
        let documents = self.transport.protocol().site().dialect.documents;
        if foreign_answer::is_foreign_error(documents, response) {
            return self.foreign(signed, response);
        }
        let error = self
            .transport
            .protocol()
            .parse_error(self.operation, response);
        self.transport
            .learn_from_refusal(response, &error, &self.creds, self.signed_at);
        self.secrets(signed).error(error)
    }

    /// An answer that is not from an object store (a web page), whatever its status.
    pub fn foreign(&self, signed: &SignedRequest, response: &Response) -> UploadError {
        foreign_answer::error(
            self.operation.name,
            &host_of(&signed.url),
            self.transport.default_note(),
            response,
            &self.secrets(signed),
        )
    }

    fn secrets(&self, signed: &SignedRequest) -> Secrets {
        let creds = [
            self.creds.secret_key.as_str(),
            self.creds.security_token.as_str(),
        ];
        Secrets::of_request(creds, signed)
    }
}
