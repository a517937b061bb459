//! `fbn-identity config show`: every setting, its value and its source.

use finbourne_identity::config::{Origin, Source};
use serde_json::{Value, json};

use crate::failure::{self, Failure};
use crate::output::{Format, note};

/// The variables other tools take a proxy from; the official SDKs, and so this one, do not.
const IGNORED_PROXY_VARIABLES: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Prints the settings; with an invalid configuration, prints what was found, then fails
/// with every problem.
pub fn show(
    loaded: Result<finbourne_identity::Config, finbourne_identity::ConfigError>,
    format: Format,
) -> Result<(), Failure> {
    for variable in IGNORED_PROXY_VARIABLES {
        if std::env::var_os(variable).is_some_and(|v| !v.is_empty()) {
            note(&format!(
                "note: {variable} is set and ignored: requests use only the proxy FBN_PROXY_ADDRESS (or secrets.json) names"
            ));
        }
    }
    match loaded {
        Ok(config) => format
            .print(&rows(config.origins()))
            .map_err(Failure::stdout),
        Err(error) => {
            // The configuration's problems are what to fix first, printed or not.
            let _ = format.print(&rows(error.origins()));
            Err(failure::of_config(&error))
        }
    }
}

fn rows(origins: &[Origin]) -> Value {
    Value::Array(
        origins
            .iter()
            .map(|o| {
                json!({
                    "setting": o.setting.to_string(),
                    "value": o.value,
                    "source": o.source.as_ref().map(|source| match source {
                        // What the SDK calls "set in code" is, here, one of our flags.
                        Source::Explicit => "command-line option".to_owned(),
                        other => other.to_string(),
                    }),
                })
            })
            .collect(),
    )
}
