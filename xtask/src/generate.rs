//! `cargo xtask generate`: spec -> passes -> checks -> progenitor -> formatted Rust.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;

use progenitor_impl::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::generatable::{self, Unsupported};
use crate::passes::{self, PassReport};
use crate::spec::{self, SpecError};
use crate::{cli_flags, cli_names, operations, rewrite, sdk, setters};

/// Our spec, relative to the workspace root.
pub const SPEC: &str = "spec/identity.json";
/// Where the generated client goes, relative to the workspace root.
pub const CLIENT_FILE: &str = "crates/finbourne-identity-client/src/generated_client.rs";
/// Where the generated command line goes, relative to the workspace root.
pub const CLI_FILE: &str = "crates/finbourne-identity-cli/src/generated_cli.rs";
/// Where the command line's names of the operations go, relative to the workspace root: apart
/// from the commands, so that the CLI's tests can read them too.
pub const CLI_NAMES_FILE: &str = "crates/finbourne-identity-cli/src/generated_names.rs";

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("{}: cannot generate a client:\n{}", spec.display(), list(found))]
    Unsupported {
        spec: PathBuf,
        found: Vec<Unsupported>,
    },
    #[error("{}: progenitor failed: {message}", spec.display())]
    Generator { spec: PathBuf, message: String },
}

fn list(found: &[Unsupported]) -> String {
    found
        .iter()
        .map(|u| format!("  - {u}\n"))
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// A generated file, ready to write or compare.
#[derive(Debug, Clone)]
pub struct GeneratedFile {
    /// Relative to the workspace root.
    pub path: PathBuf,
    pub contents: String,
}

/// Everything one generation produced.
#[derive(Debug)]
pub struct Generated {
    pub files: Vec<GeneratedFile>,
    pub passes: Vec<PassReport>,
}

/// The workspace root: the xtask lives one level below it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_owned()
}

/// Generates every file from our spec (read from `root/spec/identity.json`): the client, its
/// table of operations, the SDK's per-operation layer and the command line.
pub fn generate_workspace(root: &Path) -> Result<Generated, GenerateError> {
    let spec_path = root.join(SPEC);
    // Read once: the same bytes are hashed for the header and parsed.
    let text = std::fs::read_to_string(&spec_path).map_err(|source| SpecError::Read {
        path: spec_path.clone(),
        source,
    })?;
    generate_from_text(&text)
}

/// [`generate_workspace`] for the text of a spec that would stand at `spec/identity.json`.
pub fn generate_from_text(text: &str) -> Result<Generated, GenerateError> {
    let name = Path::new(SPEC);
    let raw = spec::parse_tree(name, text)?;
    let (tree, passes) = generatable_tree(name, &raw)?;
    let failed = |message: String| GenerateError::Generator {
        spec: name.to_owned(),
        message,
    };
    let client = client_from_tree(name, &tree)?;
    let mut facts = operations::facts(&tree);
    operations::minimal_bodies_from(&raw, &mut facts);
    let table = unparse(operations::table_tokens(&tree, &facts)).map_err(failed)?;
    let layer = unparse(sdk::layer(&client, &facts).map_err(failed)?).map_err(failed)?;
    let cli = cli_from_tree(name, &tree)?;
    let names = unparse(cli_names::tokens(&cli_names::names(&tree, &facts))).map_err(failed)?;
    let header = header(SPEC, text.as_bytes());
    let file = |path: &str, contents: String| GeneratedFile {
        path: PathBuf::from(path),
        contents: format!("{header}{contents}"),
    };
    Ok(Generated {
        files: vec![
            file(CLIENT_FILE, prettyplease::unparse(&client)),
            file(operations::TABLE_FILE, table),
            file(sdk::SDK_FILE, layer),
            file(CLI_FILE, cli),
            file(CLI_NAMES_FILE, names),
        ],
        passes,
    })
}

fn unparse(tokens: proc_macro2::TokenStream) -> Result<String, String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// The passes and checks: the tree progenitor is given.
fn generatable_tree(
    spec_name: &Path,
    raw: &Value,
) -> Result<(Value, Vec<PassReport>), GenerateError> {
    let mut tree = raw.clone();
    let reports = passes::normalise(&mut tree);
    let found = generatable::check(&tree);
    if !found.is_empty() {
        return Err(GenerateError::Unsupported {
            spec: spec_name.to_owned(),
            found,
        });
    }
    Ok((tree, reports))
}

/// The `clap` command line for every operation, from progenitor's CLI generator with the
/// fixes of [`rewrite::cli`] and the switches and help of [`cli_flags`].
pub fn generate_cli(spec_name: &Path, raw: &Value) -> Result<String, GenerateError> {
    let (tree, _) = generatable_tree(spec_name, raw)?;
    cli_from_tree(spec_name, &tree)
}

/// [`generate_cli`] for a tree the passes and checks have already been through.
fn cli_from_tree(spec_name: &Path, tree: &Value) -> Result<String, GenerateError> {
    let failed = |message: String| GenerateError::Generator {
        spec: spec_name.to_owned(),
        message,
    };
    let openapi = spec::typed(spec_name, tree)?;
    let tokens = quietly(|| Generator::new(&settings()).cli(&openapi, "finbourne_identity_client"))
        .map_err(failed)?
        .map_err(|e| failed(e.to_string()))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| failed(format!("generated CLI does not parse: {e}")))?;
    rewrite::cli(&mut file).map_err(failed)?;
    let facts = operations::facts(tree);
    cli_flags::rewrite(&mut file, &cli_flags::true_by_default(tree, &facts)).map_err(failed)?;
    Ok(prettyplease::unparse(&file))
}

/// Runs the passes, the checks and progenitor over a spec tree; returns formatted Rust.
/// `spec_name` only labels errors.
pub fn generate_client(
    spec_name: &Path,
    raw: &Value,
) -> Result<(String, Vec<PassReport>), GenerateError> {
    let (tree, reports) = generatable_tree(spec_name, raw)?;
    let client = client_from_tree(spec_name, &tree)?;
    Ok((prettyplease::unparse(&client), reports))
}

/// [`generate_client`] for a tree the passes and checks have already been through.
fn client_from_tree(spec_name: &Path, tree: &Value) -> Result<syn::File, GenerateError> {
    run_progenitor(spec_name, tree).map_err(|message| match blame_operations(spec_name, tree) {
        found if !found.is_empty() => GenerateError::Unsupported {
            spec: spec_name.to_owned(),
            found,
        },
        _ => GenerateError::Generator {
            spec: spec_name.to_owned(),
            message,
        },
    })
}

fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        // Requests made with the client alone go through the client crate's hand-written
        // `Hooks`, where a user can add middleware; the SDK builds requests with
        // `request` and runs its own call path instead.
        .with_inner_type(quote::quote!(crate::Hooks))
        .with_hooks(HooksMode::Expected);
    settings
}

/// One progenitor run; a panic inside the generator becomes an error message.
fn run_progenitor(spec_name: &Path, tree: &Value) -> Result<syn::File, String> {
    let openapi = spec::typed(spec_name, tree).map_err(|e| e.to_string())?;
    let tokens = quietly(|| Generator::new(&settings()).generate_tokens(&openapi))?
        .map_err(|e| e.to_string())?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    rewrite::drop_api_version_header(&mut file);
    rewrite::path_segments(&mut file)?;
    let ids: Vec<String> = operations::facts(tree)
        .into_iter()
        .map(|op| op.id)
        .collect();
    rewrite::join_base_url(&mut file, &ids)?;
    rewrite::query_params(&mut file)?;
    rewrite::start_requests(&mut file)?;
    rewrite::add_request(&mut file)?;
    rewrite::lenient_records(&mut file, &operations::answer_only_schemas(tree));
    rewrite::non_exhaustive_types(&mut file);
    setters::builder_setters(&mut file)?;
    Ok(file)
}

/// When a whole-spec run fails, generates each operation alone to name the ones at fault.
fn blame_operations(spec_name: &Path, tree: &Value) -> Vec<Unsupported> {
    let mut found = Vec::new();
    let Some(paths) = tree.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        for method in passes::METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let mut alone = tree.clone();
            let mut only = serde_json::Map::new();
            let mut item_alone = serde_json::Map::new();
            if let Some(params) = item.get("parameters") {
                item_alone.insert("parameters".into(), params.clone());
            }
            item_alone.insert((*method).into(), op.clone());
            only.insert(path.clone(), Value::Object(item_alone));
            alone["paths"] = Value::Object(only);
            if let Err(message) = run_progenitor(spec_name, &alone) {
                let id = op.get("operationId").and_then(Value::as_str).unwrap_or("?");
                found.push(Unsupported {
                    operation: format!("{id} ({} {path})", method.to_uppercase()),
                    construct: message,
                });
            }
        }
    }
    found
}

thread_local! {
    static CAPTURING: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic into `Err(message)` without printing a backtrace.
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let captured = CAPTURING.with(|c| {
                let mut c = c.borrow_mut();
                c.as_mut().map(|slot| {
                    let location = info
                        .location()
                        .map(|l| format!(" (at {l})"))
                        .unwrap_or_default();
                    *slot = format!("{}{location}", payload_text(info.payload()));
                })
            });
            if captured.is_none() {
                previous(info);
            }
        }));
    });
    CAPTURING.with(|c| *c.borrow_mut() = Some(String::new()));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let message = CAPTURING
        .with(|c| c.borrow_mut().take())
        .unwrap_or_default();
    result.map_err(|_| format!("generator panicked: {message}"))
}

fn payload_text(payload: &dyn std::any::Any) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// The first lines of a generated file: what made it, from what, and how to redo it.
pub fn header(spec_name: &str, spec_bytes: &[u8]) -> String {
    let digest = Sha256::digest(spec_bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "// @generated by `cargo xtask generate` from {spec_name}\n\
         // (SHA-256 {hex}) with progenitor {}.\n\
         // Do not edit: change the spec or the xtask, then run `cargo xtask generate`.\n\n",
        progenitor_version()
    )
}

fn progenitor_version() -> &'static str {
    "0.15.1"
}

/// Files whose contents on disk differ from what generation produces now.
pub fn stale_files(root: &Path, generated: &Generated) -> Vec<PathBuf> {
    generated
        .files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(root.join(&f.path)).ok().as_deref() != Some(&f.contents)
        })
        .map(|f| f.path.clone())
        .collect()
}

/// Writes the generated files under `root`.
pub fn write(root: &Path, generated: &Generated) -> std::io::Result<()> {
    for file in &generated.files {
        std::fs::write(root.join(&file.path), &file.contents)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_generator_panic_is_an_error_naming_the_operation() {
        // A path parameter missing from the path template panics inside the generator.
        let tree = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/a/{x}": {"get": {"operationId": "GetA", "parameters": [
                {"name": "x", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "y", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"204": {"description": "ok"}}}},
                "/b": {"get": {"operationId": "GetB", "responses": {"204": {"description": "ok"}}}}}});
        let err = generate_client(Path::new("t.json"), &tree)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t.json: cannot generate a client:\n  - GetA (GET /a/{x}): generator panicked: y missing from path"), "{err}");
        assert!(!err.contains("GetB"), "{err}");
    }

    #[test]
    fn header_names_spec_hash_and_command() {
        let h = header("spec/x.json", b"abc");
        assert!(h.contains("spec/x.json"));
        assert!(h.contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        assert!(h.contains("`cargo xtask generate`"));
    }
}
