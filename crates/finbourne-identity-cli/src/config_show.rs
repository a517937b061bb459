//! `fbn-identity config show`: every setting, its value and its source.

use finbourne_identity::config::{Origin, Source};
use serde_json::{Value, json};

use crate::failure::{self, Failure};
use crate::output::Format;

/// Prints the settings; with an invalid configuration, prints what was found, then fails
/// with every problem.
pub fn show(
    loaded: Result<finbourne_identity::Config, finbourne_identity::ConfigError>,
    format: Format,
) -> Result<(), Failure> {
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
