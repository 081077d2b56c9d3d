//! The policies a server decides with, by id.

use std::collections::BTreeMap;
use std::sync::Arc;

use verdict_core::Policy;

use crate::errors::ServiceError;

/// Loaded policies. Requests name one by id; an empty id means the default.
#[derive(Debug, Clone)]
pub struct PolicyRegistry {
    default: Arc<Policy>,
    policies: BTreeMap<String, Arc<Policy>>,
}

impl PolicyRegistry {
    /// A registry holding only the embedded default policy.
    pub fn with_embedded_default() -> Self {
        let policy = Arc::new(Policy::embedded_default());
        let id = policy.reference().id.clone();
        Self {
            default: Arc::clone(&policy),
            policies: BTreeMap::from([(id, policy)]),
        }
    }

    /// The policy `id` names, or the default for an empty id.
    pub fn get(&self, id: &str) -> Result<&Arc<Policy>, ServiceError> {
        if id.is_empty() {
            return Ok(&self.default);
        }
        self.policies
            .get(id)
            .ok_or_else(|| ServiceError::UnknownPolicy(id.to_owned()))
    }

    /// The default policy.
    pub fn default_policy(&self) -> &Arc<Policy> {
        &self.default
    }
}
