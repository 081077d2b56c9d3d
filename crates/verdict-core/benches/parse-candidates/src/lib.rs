//! The floor of a typed, borrowing parse of a Jumio workflow result: the
//! fields verdict reads, into a minimal struct (no dates parsed, `data` skipped).
use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

#[derive(Deserialize)]
pub struct Floor<'a> {
    #[serde(borrow)]
    pub workflow: Workflow<'a>,
    #[serde(borrow, default)]
    pub account: Option<Account<'a>>,
    #[serde(rename = "completedAt", borrow, default)]
    pub completed_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub decision: Option<Decision<'a>>,
    #[serde(borrow, default)]
    pub capabilities: Option<Capabilities<'a>>,
}
#[derive(Deserialize)]
pub struct Workflow<'a> {
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub status: Cow<'a, str>,
    #[serde(rename = "definitionKey", default)]
    pub definition_key: Option<IgnoredAny>,
}
#[derive(Deserialize)]
pub struct Account<'a> {
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
}
#[derive(Deserialize)]
pub struct Decision<'a> {
    #[serde(rename = "type", borrow, default)]
    pub decision_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub details: Option<Details<'a>>,
    #[serde(default)]
    pub risk: Option<Risk>,
}
#[derive(Deserialize)]
pub struct Details<'a> {
    #[serde(borrow, default)]
    pub label: Option<Cow<'a, str>>,
}
#[derive(Deserialize)]
pub struct Risk {
    #[serde(default)]
    pub score: Option<f64>,
}
#[derive(Deserialize)]
pub struct Entry<'a> {
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub credentials: Option<Vec<Credential<'a>>>,
    #[serde(borrow, default)]
    pub decision: Option<Decision<'a>>,
    #[serde(default)]
    pub data: Option<IgnoredAny>,
}
#[derive(Deserialize)]
pub struct Credential<'a> {
    #[serde(borrow, default)]
    pub category: Option<Cow<'a, str>>,
}

/// Capabilities in document order, as a list (no hashing).
pub struct Capabilities<'a>(pub Vec<(Cow<'a, str>, Vec<Entry<'a>>)>);

impl<'a> Capabilities<'a> {
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Capabilities<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Capabilities<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut list = Vec::new();
                while let Some(key) = map.next_key::<Borrowed<'a>>()? {
                    list.push((key.0, map.next_value()?));
                }
                Ok(Capabilities(list))
            }
        }
        deserializer.deserialize_map(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
