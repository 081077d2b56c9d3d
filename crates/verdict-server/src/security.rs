//! Transport security and caller authentication: TLS (rustls) with optional
//! client certificates (mTLS), and bearer tokens compared in constant time.

use std::path::Path;
use std::sync::Arc;

use crate::errors::ServiceError;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tonic::{Request, Status};

/// The server's certificate chain and key, and the CA client certificates
/// must chain to (mTLS) when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    pub client_ca_pem: Option<Vec<u8>>,
}

impl TlsSettings {
    /// Reads the PEM files, naming the one that cannot be read.
    pub fn load(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<Self, String> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))
        };
        Ok(Self {
            cert_pem: read(cert)?,
            key_pem: read(key)?,
            client_ca_pem: client_ca.map(read).transpose()?,
        })
    }

    /// tonic's rustls configuration: with a client CA, a client must present a
    /// certificate it signed, or the handshake fails.
    pub fn server_config(&self) -> ServerTlsConfig {
        let config =
            ServerTlsConfig::new().identity(Identity::from_pem(&self.cert_pem, &self.key_pem));
        match &self.client_ca_pem {
            Some(ca) => config.client_ca_root(Certificate::from_pem(ca)),
            None => config,
        }
    }
}

/// Bearer-token check for a service; `open` lets every call through.
#[derive(Clone, Default)]
pub struct Auth {
    /// SHA-256 of each accepted token: comparing digests takes the same time
    /// whatever the token's length or content.
    tokens: Option<Arc<[[u8; 32]]>>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print tokens, not even their digests.
        f.debug_struct("Auth")
            .field("tokens", &self.tokens.as_ref().map(|tokens| tokens.len()))
            .finish()
    }
}

impl Auth {
    /// No check.
    pub fn open() -> Self {
        Self::default()
    }

    /// Accepts `Authorization: Bearer <token>` for any of `tokens`.
    pub fn tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Self {
        let digests: Vec<[u8; 32]> = tokens
            .into_iter()
            .map(|token| Sha256::digest(token.as_bytes()).into())
            .collect();
        Self {
            tokens: Some(digests.into()),
        }
    }

    /// Tokens from a comma-separated list and/or a file (one per line, `#`
    /// comments); `None` when neither is given. An empty set is an error: a
    /// server that meant to require tokens must not silently accept none.
    pub fn load(list: Option<&str>, file: Option<&Path>) -> Result<Option<Self>, String> {
        if list.is_none() && file.is_none() {
            return Ok(None);
        }
        let mut tokens: Vec<String> = list
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(file) = file {
            let text = std::fs::read_to_string(file)
                .map_err(|error| format!("{}: {error}", file.display()))?;
            tokens.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty() && !line.starts_with('#'))
                    .map(str::to_owned),
            );
        }
        if tokens.is_empty() {
            return Err("authentication is configured but no token was given".to_owned());
        }
        Ok(Some(Self::tokens(tokens.iter().map(String::as_str))))
    }

    /// Whether calls need a token.
    pub fn is_enforced(&self) -> bool {
        self.tokens.is_some()
    }

    fn accepts(&self, presented: &str) -> bool {
        let Some(tokens) = &self.tokens else {
            return true;
        };
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        // Look at every token, so the time taken does not say which matched.
        tokens
            .iter()
            .fold(subtle::Choice::from(0), |found, token| {
                found | token.ct_eq(&digest)
            })
            .into()
    }
}

impl Interceptor for Auth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        if self.tokens.is_none() {
            return Ok(request);
        }
        let presented = request
            .metadata()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        match presented {
            Some(token) if self.accepts(token) => Ok(request),
            _ => Err(ServiceError::Unauthenticated.to_status()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(auth: &Auth, header: Option<&str>) -> Result<(), tonic::Code> {
        let mut request = Request::new(());
        if let Some(header) = header {
            request.metadata_mut().insert(
                "authorization",
                header.parse().map_err(|_| tonic::Code::Internal)?,
            );
        }
        auth.clone()
            .call(request)
            .map(|_| ())
            .map_err(|status| status.code())
    }

    #[test]
    fn only_a_listed_bearer_token_passes() {
        let auth = Auth::tokens(["s3cret", "other"]);
        assert_eq!(call(&auth, Some("Bearer s3cret")), Ok(()));
        assert_eq!(call(&auth, Some("Bearer other")), Ok(()));
        for wrong in [
            None,
            Some("Bearer s3cre"),
            Some("Bearer s3cret "),
            Some("s3cret"),
            Some("Basic s3cret"),
        ] {
            assert_eq!(
                call(&auth, wrong),
                Err(tonic::Code::Unauthenticated),
                "{wrong:?}"
            );
        }
        assert_eq!(call(&Auth::open(), None), Ok(()));
    }

    #[test]
    fn tokens_load_from_a_list_and_a_file_and_none_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("tokens");
        std::fs::write(&file, "# ops\nfrom-file\n\n").expect("write");
        let auth = Auth::load(Some("a, b"), Some(&file))
            .expect("loads")
            .expect("configured");
        assert!(auth.accepts("a") && auth.accepts("b") && auth.accepts("from-file"));
        assert!(!auth.accepts("# ops"));
        assert_eq!(Auth::load(None, None).map(|auth| auth.is_some()), Ok(false));
        assert_eq!(
            Auth::load(Some(" , "), None).map(|auth| auth.is_some()),
            Err("authentication is configured but no token was given".to_owned())
        );
        assert!(format!("{auth:?}").contains("Some(3)"));
    }
}
