//! External token issuers (`/api/externaltokenissuers`): third-party issuers whose token claims
//! map to users.
//!
//! The engine serves the five operations (an update keeps the code and any of issuer,
//! audience and logout URL it does not give); here: the checks.

use finbourne_identity_client::types::ExternalTokenIssuerResponse;
use serde_json::Value;

use super::Problems;
use crate::reply::Reply;
use crate::resources::{Call, Meaning, Named, Record, shaped};
use crate::state::State;

pub(crate) const COLLECTION: &str = "/api/externaltokenissuers";

/// The claims a mapping must name.
const CLAIMS: &[&str] = &[
    "userId",
    "login",
    "email",
    "firstName",
    "lastName",
    "userType",
];

/// The engine's meaning for `/api/externaltokenissuers`.
pub(crate) struct Issuers;

impl Meaning for Issuers {
    fn named(&self) -> Option<Named> {
        Some(Named {
            kind: "ExternalTokenIssuer",
            article: "An",
            noun: "external token issuer",
            key: "code",
        })
    }

    fn prepare(
        &self,
        call: &Call<'_>,
        _st: &State,
        record: &mut Record,
        old: Option<&Record>,
    ) -> Result<(), Reply> {
        let mut problems = Problems::default();
        if old.is_none() {
            let code = record.get("code").and_then(Value::as_str).unwrap_or("");
            problems.code("code", code);
        }
        for field in ["issuer", "audience"] {
            if let Some(value) = problems.optional_string(record, field) {
                problems.length(field, value, 0, 500);
            }
        }
        problems.optional_string(record, "description");
        if let Some(url) = problems.optional_string(record, "logoutUrl") {
            let absolute =
                url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !absolute || url.len() > 16_384 {
                problems.add(
                    "logoutUrl",
                    "The logoutUrl field must be an absolute http(s) URL.",
                );
            }
        }
        match record.get("claimMappings") {
            None | Some(Value::Null) => {}
            Some(Value::Object(mappings)) => {
                for claim in CLAIMS {
                    let given = mappings
                        .get(*claim)
                        .and_then(Value::as_str)
                        .is_some_and(|v| !v.trim().is_empty());
                    if !given {
                        let field = format!("claimMappings.{claim}");
                        problems.add(&field, format!("The {field} field is required."));
                    }
                }
            }
            Some(_) => problems.add(
                "claimMappings",
                "The claimMappings field must be an object.",
            ),
        }
        problems.check(call.instance)
    }

    fn present(&self, _call: &Call<'_>, record: &Record) -> Result<Value, Reply> {
        Ok(shaped::<ExternalTokenIssuerResponse>(record))
    }
}
