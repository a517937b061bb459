//! Rewrites of the generated syntax tree, for what no generator setting controls.

use syn::visit_mut::{self, VisitMut};

/// Removes the `api-version` header progenitor adds to every request.
///
/// Progenitor sends the spec's `info.version` (here `0.0.3665`) as `api-version`. The official
/// SDKs send no such header, and ASP.NET services can read `api-version` to pick an API version,
/// so a value the service does not know could turn every call into a 400.
pub fn drop_api_version_header(file: &mut syn::File) -> usize {
    let mut visitor = DropApiVersion(0);
    visitor.visit_file_mut(file);
    visitor.0
}

struct DropApiVersion(usize);

impl VisitMut for DropApiVersion {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let before = block.stmts.len();
        block.stmts.retain(|stmt| !appends_api_version(stmt));
        self.0 += before - block.stmts.len();
        visit_mut::visit_block_mut(self, block);
    }
}

fn appends_api_version(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else {
        return false;
    };
    call.method == "append"
        && call
            .args
            .first()
            .is_some_and(|name| quote_free_text(name).contains("from_static(\"api-version\")"))
}

fn quote_free_text(expr: &syn::Expr) -> String {
    use quote::ToTokens;
    expr.to_token_stream().to_string().replace(' ', "")
}

#[cfg(test)]
mod tests {
    #[test]
    fn removes_only_the_api_version_append() {
        let mut file: syn::File = syn::parse_str(
            r#"fn f() {
                let mut header_map = HeaderMap::with_capacity(2usize);
                header_map.append(HeaderName::from_static("api-version"), HeaderValue::from_static(V));
                header_map.append(HeaderName::from_static("x-other"), value);
            }"#,
        )
        .unwrap();
        assert_eq!(super::drop_api_version_header(&mut file), 1);
        let text = prettyplease::unparse(&file);
        assert!(!text.contains("api-version"), "{text}");
        assert!(text.contains("x-other"), "{text}");
    }
}

/// What [`cli`] changed; each count must be non-zero, or progenitor's output has changed shape.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CliRewrites {
    pub error_arms: usize,
    pub body_readers: usize,
    pub body_help: usize,
    pub template_flags: usize,
    pub schema_bounds: usize,
    /// List-valued parameters (not every spec has one, so zero is fine).
    pub list_args: usize,
}

/// The help of `--json-body` once [`cli`] has run.
pub const JSON_BODY_HELP: &str =
    "The whole JSON body: a file path, `-` for standard input, or the JSON itself";

/// Fixes progenitor's generated CLI where it falls short:
///
/// - an error answer with an untyped body reaches `todo!()`: it becomes an `anyhow` error
///   carrying the client error, for the CLI to explain and map to an exit code;
/// - `--json-body` reads only a file: it goes through `crate::json_body::read`, which also
///   takes `-` (standard input) and inline JSON, and its help says so;
/// - `--json-body-template` is parsed but never used, with the help text "XXX": removed;
/// - output hooks require `schemars::JsonSchema`, which the client's types do not derive and
///   the CLI does not need (it prints JSON): the bound is dropped;
/// - a list-valued parameter gets `value_parser!(Vec<T>)`, which clap cannot build: it becomes
///   a repeatable option of `T`, read back with `get_many`.
pub fn cli(file: &mut syn::File) -> Result<CliRewrites, String> {
    let mut visitor = CliFixes::default();
    visitor.visit_file_mut(file);
    let counts = visitor.0;
    let text = prettyplease::unparse(file);
    if text.contains("todo!") {
        return Err(
            "the generated CLI still has a todo!() this xtask does not know how to replace".into(),
        );
    }
    let zero = [
        ("error arms", counts.error_arms),
        ("body readers", counts.body_readers),
        ("body help", counts.body_help),
        ("template flags", counts.template_flags),
        ("schema bounds", counts.schema_bounds),
    ]
    .into_iter()
    .filter(|(_, n)| *n == 0)
    .map(|(what, _)| what)
    .collect::<Vec<_>>();
    if !zero.is_empty() {
        return Err(format!(
            "progenitor's CLI output changed shape: found no {} to rewrite",
            zero.join(", ")
        ));
    }
    Ok(counts)
}

#[derive(Default)]
struct CliFixes(CliRewrites);

fn compact(tokens: &impl quote::ToTokens) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}

impl VisitMut for CliFixes {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let Some(rewritten) = list_valued(expr) {
            *expr = rewritten;
            self.0.list_args += 1;
        }
        if let syn::Expr::MethodCall(call) = expr
            && call.method == "arg"
            && call
                .args
                .first()
                .is_some_and(|a| compact(a).contains("\"json-body-template\""))
        {
            *expr = (*call.receiver).clone();
            self.0.template_flags += 1;
            return self.visit_expr_mut(expr);
        }
        if let syn::Expr::Call(call) = expr
            && compact(&call.func) == "std::fs::read_to_string"
        {
            *call.func = syn::parse_quote!(crate::json_body::read);
            self.0.body_readers += 1;
        }
        if let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) = expr
            && s.value() == "Path to a file that contains the full json body."
        {
            *s = syn::LitStr::new(JSON_BODY_HELP, s.span());
            self.0.body_help += 1;
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        if compact(&arm.pat) == "Err(r)" && compact(&arm.body).contains("todo!") {
            *arm.body = syn::parse_quote!(Err(anyhow::Error::new(r)));
            self.0.error_arms += 1;
        }
        visit_mut::visit_arm_mut(self, arm);
    }

    fn visit_predicate_type_mut(&mut self, predicate: &mut syn::PredicateType) {
        let before = predicate.bounds.len();
        predicate.bounds = predicate
            .bounds
            .iter()
            .filter(|b| compact(b) != "schemars::JsonSchema")
            .cloned()
            .collect();
        self.0.schema_bounds += before - predicate.bounds.len();
        visit_mut::visit_predicate_type_mut(self, predicate);
    }
}

/// `x.value_parser(value_parser!(Vec<T>))` and `m.get_one::<Vec<T>>(name)`, rewritten for a
/// repeatable option of `T`.
fn list_valued(expr: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::MethodCall(call) = expr else {
        return None;
    };
    let receiver = &call.receiver;
    let args = &call.args;
    match call.method.to_string().as_str() {
        "value_parser" => {
            let syn::Expr::Macro(m) = call.args.first()? else {
                return None;
            };
            let item = vec_item(&m.mac.tokens.to_string())?;
            Some(syn::parse_quote!(
                #receiver.value_parser(::clap::value_parser!(#item)).action(::clap::ArgAction::Append)
            ))
        }
        "get_one" => {
            let turbofish = call.turbofish.as_ref()?;
            let item = vec_item(&compact(&turbofish.args))?;
            Some(syn::parse_quote!(
                #receiver.get_many::<#item>(#args).map(|values| values.cloned().collect::<::std::vec::Vec<_>>())
            ))
        }
        _ => None,
    }
}

/// `T` of `::std::vec::Vec<T>`, written as tokens.
fn vec_item(tokens: &str) -> Option<syn::Type> {
    let tokens = tokens.replace(' ', "");
    let inner = tokens.strip_prefix("::std::vec::Vec<")?.strip_suffix('>')?;
    syn::parse_str(inner).ok()
}

#[cfg(test)]
mod cli_tests {
    use super::*;

    #[test]
    fn rewrites_each_shortcoming_and_counts_them() {
        let mut file: syn::File = syn::parse_str(
            r#"
            trait CliConfig {
                fn success_item<T>(&self, value: &T) where T: schemars::JsonSchema + serde::Serialize;
            }
            fn cli_x() -> ::clap::Command {
                ::clap::Command::new("")
                    .arg(::clap::Arg::new("json-body").help("Path to a file that contains the full json body."))
                    .arg(::clap::Arg::new("json-body-template").help("XXX"))
            }
            fn cli_list() -> ::clap::Command {
                ::clap::Command::new("").arg(::clap::Arg::new("id").value_parser(::clap::value_parser!(::std::vec::Vec<::std::string::String>)))
            }
            async fn execute_x() -> anyhow::Result<()> {
                if let Some(value) = matches.get_one::<::std::vec::Vec<::std::string::String>>("id") {}
                let body_txt = std::fs::read_to_string(value)?;
                match result {
                    Ok(r) => { Ok(()) }
                    Err(r) => { todo!() }
                }
            }
            "#,
        )
        .unwrap();
        let counts = cli(&mut file).unwrap();
        assert_eq!(
            counts,
            CliRewrites {
                error_arms: 1,
                body_readers: 1,
                body_help: 1,
                template_flags: 1,
                schema_bounds: 1,
                list_args: 2,
            }
        );
        let text = prettyplease::unparse(&file);
        for gone in [
            "todo!",
            "json-body-template",
            "schemars",
            "std::fs::read_to_string",
            "XXX",
        ] {
            assert!(!text.contains(gone), "{gone} left in:\n{text}");
        }
        assert!(
            text.contains("Err(r) => Err(anyhow::Error::new(r))"),
            "{text}"
        );
        assert!(text.contains("crate::json_body::read(value)"), "{text}");
        assert!(text.contains(JSON_BODY_HELP));
        assert!(
            text.contains(".action(::clap::ArgAction::Append)"),
            "{text}"
        );
        assert!(
            text.contains("get_many::<::std::string::String>(\"id\")"),
            "{text}"
        );
        assert!(
            !text.contains("Vec<::std::string::String>>(\"id\")"),
            "{text}"
        );
    }

    #[test]
    fn a_shape_it_does_not_know_is_an_error_not_a_silent_pass() {
        let mut file: syn::File = syn::parse_str("fn f() { todo!() }").unwrap();
        assert!(cli(&mut file).unwrap_err().contains("todo!()"));
        let mut file: syn::File = syn::parse_str("fn f() {}").unwrap();
        assert!(cli(&mut file).unwrap_err().contains("changed shape"));
    }
}
