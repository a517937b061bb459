//! The generated commands' flags as people type them: a boolean query parameter is a switch
//! (`--include-deactivated`, with `--no-include-deactivated` where the API's default is true),
//! and help names flags (`--include-deactivated`), not the API's fields (`includeDeactivated`).

use std::collections::BTreeSet;

use heck::{ToKebabCase, ToSnakeCase};
use serde_json::Value;
use syn::visit_mut::{self, VisitMut};

use crate::operations::OperationFacts;

/// What [`rewrite`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FlagRewrites {
    /// Boolean query parameters made switches.
    pub switches: usize,
    /// `--no-…` switches added, for parameters the API defaults to true.
    pub negations: usize,
    /// Field names in help text written as flags.
    pub help_names: usize,
}

/// The boolean query parameters the API defaults to true, as (operation in snake case, flag).
pub fn true_by_default(tree: &Value, facts: &[OperationFacts]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for op in facts {
        let Some(operation) = tree
            .get("paths")
            .and_then(|paths| paths.get(&op.path))
            .and_then(|item| item.get(op.method.to_ascii_lowercase()))
        else {
            continue;
        };
        for param in operation
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let schema = param.get("schema");
            if param.get("in").and_then(Value::as_str) == Some("query")
                && schema.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("boolean")
                && schema.and_then(|s| s.get("default")) == Some(&Value::Bool(true))
                && let Some(name) = param.get("name").and_then(Value::as_str)
            {
                out.insert((op.id.clone(), name.to_kebab_case()));
            }
        }
    }
    out
}

/// Rewrites the generated CLI's switches and help; `true_by_default` from [`true_by_default`].
pub fn rewrite(
    file: &mut syn::File,
    true_by_default: &BTreeSet<(String, String)>,
) -> Result<FlagRewrites, String> {
    // First the executors, which tell which boolean flags are query parameters (a body's
    // property goes through `body_map`), then the commands that declare them.
    let mut executors = Executors {
        true_by_default,
        found: BTreeSet::new(),
        rewrites: FlagRewrites::default(),
    };
    executors.visit_file_mut(file);
    let mut commands = Commands {
        switches: &executors.found,
        true_by_default,
        op: String::new(),
        flags: BTreeSet::new(),
        rewrites: executors.rewrites,
    };
    commands.visit_file_mut(file);
    let rewrites = commands.rewrites;
    if rewrites.switches != executors.found.len() * 2 {
        return Err(format!(
            "found {} boolean query parameters but rewrote {} executor and command parts: \
             progenitor's CLI output changed shape",
            executors.found.len(),
            rewrites.switches
        ));
    }
    Ok(FlagRewrites {
        switches: executors.found.len(),
        ..rewrites
    })
}

fn compact(tokens: &impl quote::ToTokens) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}

struct Executors<'a> {
    true_by_default: &'a BTreeSet<(String, String)>,
    found: BTreeSet<(String, String)>,
    rewrites: FlagRewrites,
}

impl VisitMut for Executors<'_> {
    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        let Some(op) = f
            .sig
            .ident
            .to_string()
            .strip_prefix("execute_")
            .map(str::to_owned)
        else {
            return;
        };
        for stmt in &mut f.block.stmts {
            let syn::Stmt::Expr(syn::Expr::If(branch), _) = stmt else {
                continue;
            };
            let condition = compact(&branch.cond);
            let Some(flag) = condition
                .strip_prefix("letSome(value)=matches.get_one::<bool>(\"")
                .and_then(|rest| rest.strip_suffix("\")"))
                .map(str::to_owned)
            else {
                continue;
            };
            let body = compact(&branch.then_branch);
            let Some(setter) = body
                .strip_prefix("{request=request.")
                .and_then(|rest| rest.strip_suffix("(value.clone());}"))
                .filter(|setter| {
                    setter
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            else {
                continue; // a body property, set through `body_map`: it keeps its value
            };
            let setter = quote::format_ident!("{setter}");
            let negation = format!("no-{flag}");
            *stmt = if self.true_by_default.contains(&(op.clone(), flag.clone())) {
                syn::parse_quote! {
                    if matches.get_flag(#flag) {
                        request = request.#setter(true);
                    } else if matches.get_flag(#negation) {
                        request = request.#setter(false);
                    }
                }
            } else {
                syn::parse_quote! {
                    if matches.get_flag(#flag) {
                        request = request.#setter(true);
                    }
                }
            };
            self.rewrites.switches += 1;
            self.found.insert((op.clone(), flag));
        }
    }
}

struct Commands<'a> {
    switches: &'a BTreeSet<(String, String)>,
    true_by_default: &'a BTreeSet<(String, String)>,
    /// The operation whose command is being visited.
    op: String,
    /// The flags that command declares.
    flags: BTreeSet<String>,
    rewrites: FlagRewrites,
}

impl VisitMut for Commands<'_> {
    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        let Some(op) = f
            .sig
            .ident
            .to_string()
            .strip_prefix("cli_")
            .map(str::to_owned)
        else {
            return;
        };
        self.op = op;
        let text = compact(&f.block);
        self.flags = text
            .split("Arg::new(\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect();
        visit_mut::visit_impl_item_fn_mut(self, f);
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::MethodCall(call) = expr {
            let method = call.method.to_string();
            let receiver = compact(&call.receiver);
            let declared = |flag: &str| receiver.contains(&format!("Arg::new(\"{flag}\")"));
            let key = self
                .switches
                .iter()
                .find(|(op, flag)| *op == self.op && declared(flag))
                .cloned();
            if method == "value_parser"
                && compact(&call.args) == "::clap::value_parser!(bool)"
                && key.is_some()
            {
                let inner = &call.receiver;
                *expr = syn::parse_quote!(#inner.action(::clap::ArgAction::SetTrue));
                self.rewrites.switches += 1;
                return;
            }
            if method == "arg"
                && let Some(arg) = call.args.first()
            {
                let arg_text = compact(arg);
                if let Some((_, flag)) = self
                    .switches
                    .iter()
                    .find(|(op, flag)| {
                        *op == self.op && arg_text.contains(&format!("Arg::new(\"{flag}\")"))
                    })
                    .filter(|key| self.true_by_default.contains(key))
                    .cloned()
                {
                    visit_mut::visit_expr_mut(self, expr);
                    let negation = format!("no-{flag}");
                    let help = format!("Send `--{flag}` as false (the API's default is true)");
                    *expr = syn::parse_quote! {
                        #expr.arg(
                            ::clap::Arg::new(#negation)
                                .long(#negation)
                                .action(::clap::ArgAction::SetTrue)
                                .overrides_with(#flag)
                                .help(#help),
                        )
                    };
                    self.rewrites.negations += 1;
                    return;
                }
            }
            if (method == "help" || method == "about")
                && let Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                })) = call.args.first_mut()
            {
                let (rewritten, changed) = flags_in_help(&text.value(), &self.flags);
                if changed > 0 {
                    *text = syn::LitStr::new(&rewritten, text.span());
                    self.rewrites.help_names += changed;
                }
            }
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}

/// `help` with each `` `fieldName` `` that is one of `flags` (in kebab case) written as
/// `` `--field-name` ``, and how many it rewrote.
fn flags_in_help(help: &str, flags: &BTreeSet<String>) -> (String, usize) {
    let mut out = String::with_capacity(help.len());
    let mut changed = 0;
    for (i, part) in help.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd parts stand between backticks.
        let is_field = i % 2 == 1
            && !part.is_empty()
            && part.chars().all(|c| c.is_ascii_alphanumeric())
            && flags.contains(&part.to_kebab_case())
            && part.to_snake_case() != "json_body";
        if is_field {
            out.push_str("--");
            out.push_str(&part.to_kebab_case());
            changed += 1;
        } else {
            out.push_str(part);
        }
    }
    (out, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(source: &str, defaults: &[(&str, &str)]) -> (String, FlagRewrites) {
        let mut file: syn::File = syn::parse_str(source).unwrap();
        let defaults = defaults
            .iter()
            .map(|(op, flag)| ((*op).to_owned(), (*flag).to_owned()))
            .collect();
        let counts = rewrite(&mut file, &defaults).unwrap();
        (
            prettyplease::unparse(&file).replace([' ', '\n'], ""),
            counts,
        )
    }

    const COMMANDS: &str = r#"
        impl<T: CliConfig> Cli<T> {
            pub fn cli_list_users() -> ::clap::Command {
                ::clap::Command::new("")
                    .arg(::clap::Arg::new("include-deactivated").long("include-deactivated")
                        .value_parser(::clap::value_parser!(bool)).required(false).help("Also deleted users."))
                    .arg(::clap::Arg::new("destructive").long("destructive")
                        .value_parser(::clap::value_parser!(bool)).required(false))
                    .about("Set `includeDeactivated` to get more; `true` or `Web` stay.")
            }
            pub async fn execute_list_users(&self, matches: &::clap::ArgMatches) -> anyhow::Result<()> {
                let mut request = builder::ListUsers::new(&self.client);
                if let Some(value) = matches.get_one::<bool>("include-deactivated") {
                    request = request.include_deactivated(value.clone());
                }
                if let Some(value) = matches.get_one::<bool>("destructive") {
                    request = request.body_map(|body| { body.destructive(value.clone()) });
                }
                Ok(())
            }
        }"#;

    #[test]
    fn a_boolean_query_parameter_becomes_a_switch_and_a_body_property_keeps_its_value() {
        let (text, counts) = rewritten(COMMANDS, &[]);
        assert_eq!(
            counts,
            FlagRewrites {
                switches: 1,
                negations: 0,
                help_names: 1
            }
        );
        assert!(
            text.contains(".long(\"include-deactivated\").action(::clap::ArgAction::SetTrue)"),
            "{text}"
        );
        assert!(text.contains("ifmatches.get_flag(\"include-deactivated\"){request=request.include_deactivated(true);}"), "{text}");
        assert!(text.contains("get_one::<bool>(\"destructive\")"), "{text}");
        assert!(
            text.contains("Set`--include-deactivated`togetmore;`true`or`Web`stay."),
            "{text}"
        );
        assert!(!text.contains("no-include"), "{text}");
    }

    #[test]
    fn a_parameter_true_by_default_gets_a_negation() {
        let (text, counts) = rewritten(COMMANDS, &[("list_users", "include-deactivated")]);
        assert_eq!(counts.negations, 1);
        assert!(
            text.contains("::clap::Arg::new(\"no-include-deactivated\").long(\"no-include-deactivated\").action(::clap::ArgAction::SetTrue).overrides_with(\"include-deactivated\")"),
            "{text}"
        );
        assert!(
            text.contains("elseifmatches.get_flag(\"no-include-deactivated\"){request=request.include_deactivated(false);}"),
            "{text}"
        );
    }
}
