//! Named profiles: `secrets.json`-shaped files under the configuration directory, one per name,
//! chosen with `--profile NAME` or `FBN_PROFILE`, and read as the SDK reads a `secrets.json`, so
//! `config show` names the profile's file as the source of each of its settings.

use std::path::{Path, PathBuf};

use clap::ArgMatches;
use serde_json::{Map, Value};

use crate::failure::Failure;
use crate::output::escape;

/// Overrides the configuration directory (tests, or several setups side by side).
pub const DIR_VARIABLE: &str = "FBN_IDENTITY_CONFIG_DIR";
/// Chooses a profile when `--profile` is not given.
pub const PROFILE_VARIABLE: &str = "FBN_PROFILE";

/// The directory holding this tool's settings: `FBN_IDENTITY_CONFIG_DIR`, else the platform's
/// configuration directory (`~/.config/fbn-identity` on Linux).
pub fn config_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(DIR_VARIABLE).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::config_dir()
        .map(|dir| dir.join("fbn-identity"))
        .ok_or_else(|| format!("this platform has no configuration directory: set {DIR_VARIABLE}"))
}

/// The profile the command line chose: `--profile`, else a non-empty `FBN_PROFILE`.
pub fn chosen(matches: &ArgMatches) -> Option<String> {
    matches.get_one::<String>("profile").cloned().or_else(|| {
        std::env::var(PROFILE_VARIABLE)
            .ok()
            .filter(|name| !name.is_empty())
    })
}

/// Whether the profile came from `--profile` itself rather than `FBN_PROFILE`.
pub fn from_flag(matches: &ArgMatches) -> bool {
    matches.get_one::<String>("profile").is_some()
}

/// The file of profile `name`. Names are letters, digits, `-`, `_` and `.` (not leading), so
/// a name can never reach outside the profiles directory.
pub fn path(name: &str) -> Result<PathBuf, Failure> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(Failure::Usage(format!(
            "profile name `{}` is not allowed: use up to 64 letters, digits, `-`, `_` or `.`, not starting with `.`",
            escape(name)
        )));
    }
    let dir = config_dir().map_err(Failure::Usage)?;
    Ok(profiles_dir(&dir).join(format!("{name}.json")))
}

fn profiles_dir(config_dir: &Path) -> PathBuf {
    config_dir.join("profiles")
}

/// The file of an existing profile `name`; an unknown one is a usage error listing the known
/// profiles and how to make this one.
pub fn existing(name: &str) -> Result<PathBuf, Failure> {
    let path = path(name)?;
    if path.is_file() {
        return Ok(path);
    }
    let known = names();
    let known = if known.is_empty() {
        "there are no profiles yet".to_owned()
    } else {
        format!("the profiles are: {}", known.join(", "))
    };
    Err(Failure::Usage(format!(
        "no profile named `{name}` (no file {}); {known}; `fbn-identity auth login --profile {name}` creates it",
        escape(&path.to_string_lossy())
    )))
}

/// The names of the profiles there are, sorted.
pub fn names() -> Vec<String> {
    let Ok(dir) = config_dir() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(profiles_dir(&dir)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let name = name.strip_suffix(".json")?.to_owned();
            path(&name).is_ok().then(|| escape(&name).into_owned())
        })
        .collect();
    names.sort();
    names
}

/// The `api` section of profile `name`, or an empty one when it does not exist or cannot be read
/// (loading it later says what is wrong).
pub fn read_api(name: &str) -> Map<String, Value> {
    path(name)
        .ok()
        .and_then(|path| std::fs::read(path).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|mut value| match value.get_mut("api").map(Value::take) {
            Some(Value::Object(api)) => Some(api),
            _ => None,
        })
        .unwrap_or_default()
}

/// Writes profile `name` with this `api` section: the directories made private (0700) when
/// missing, the file replaced atomically with a 0600 one, never through a symbolic link.
pub fn write(name: &str, api: Map<String, Value>) -> Result<PathBuf, Failure> {
    let path = path(name)?;
    let dir = path
        .parent()
        .expect("a profile's file is in the profiles directory");
    let cannot = |why: &str| {
        Failure::Usage(format!(
            "cannot write profile `{name}` to {}: {}",
            escape(&path.to_string_lossy()),
            escape(why)
        ))
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| cannot(&e.to_string()))?;
    let mut text = serde_json::to_string_pretty(&serde_json::json!({ "api": api }))
        .expect("a JSON object serializes");
    text.push('\n');
    crate::scim::write_private(&path, &text).map_err(|why| cannot(&why))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_cannot_leave_the_profiles_directory() {
        for bad in ["", "../x", "a/b", ".hidden", "a b", "é", &"x".repeat(65)] {
            assert!(
                matches!(path(bad), Err(Failure::Usage(_))),
                "{bad:?} is refused"
            );
        }
    }
}
