//! `--jq EXPR`: a jq filter over the JSON answer, run by jaq (jq's language in pure Rust), as
//! gh's `--jq` does: strings print as they are, other values as JSON.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;
use serde_json::Value;

/// A compiled filter, ready to run on each answer.
pub struct Filter(jaq_core::Filter<data::JustLut<Val>>);

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter").finish_non_exhaustive()
    }
}

/// One output of a filter: text to print as it is, or a JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Text(String),
    Json(Value),
}

impl Filter {
    /// Compiles `code`; the error says what was wrong, for `--jq`'s usage error.
    pub fn new(code: &str) -> Result<Filter, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let arena = Arena::default();
        let loader = Loader::new(defs);
        let modules = loader
            .load(&arena, File { code, path: () })
            .map_err(|errors| {
                let mut said = Vec::new();
                for (_, error) in errors {
                    match error {
                        jaq_core::load::Error::Io(items) => {
                            said.extend(items.into_iter().map(|(_, why)| why));
                        }
                        jaq_core::load::Error::Lex(items) => said.extend(
                            items
                                .into_iter()
                                .map(|(expected, at)| expected_at(expected.as_str(), code, at)),
                        ),
                        jaq_core::load::Error::Parse(items) => said.extend(
                            items
                                .into_iter()
                                .map(|(expected, at)| expected_at(expected.as_str(), code, at)),
                        ),
                    }
                }
                said.join("; ")
            })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                errors
                    .into_iter()
                    .flat_map(|(_, undefined)| undefined)
                    .map(|(name, what)| format!("undefined {} `{name}`", what.as_str()))
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
        Ok(Filter(filter))
    }

    /// The outputs of the filter on `value`, or the error that stopped it.
    pub fn run(&self, value: &Value) -> Result<Vec<Output>, String> {
        let input: Val = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.0.lut, Vars::new([]));
        let mut out = Vec::new();
        for result in self.0.id.run((ctx, input)).map(unwrap_valr) {
            let val = result.map_err(|e| e.to_string())?;
            out.push(match &val {
                Val::TStr(_) => Output::Text(
                    serde_json::from_str::<String>(&val.to_string())
                        .unwrap_or_else(|_| val.to_string()),
                ),
                // jaq writes JSON; a value JSON cannot hold (NaN) is printed as jaq writes it.
                _ => serde_json::from_str(&val.to_string())
                    .map_or_else(|_| Output::Text(val.to_string()), Output::Json),
            });
        }
        Ok(out)
    }
}

/// "expected X at `rest of the expression`", or "at the end".
fn expected_at(expected: &str, code: &str, at: &str) -> String {
    if at.is_empty() {
        format!("expected {expected} at the end of `{code}`")
    } else {
        format!("expected {expected} at `{at}`")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn filters_as_jq_does() {
        let answer = json!([{"id": "u1", "login": "ann"}, {"id": "u2", "login": "bob"}]);
        let logins = Filter::new(".[] | .login").unwrap().run(&answer).unwrap();
        assert_eq!(
            logins,
            [Output::Text("ann".into()), Output::Text("bob".into())]
        );
        let page = json!({"nextPage": "1796224541686000000", "n": 12});
        let token = Filter::new(".nextPage, .n").unwrap().run(&page).unwrap();
        assert_eq!(
            token,
            [
                Output::Text("1796224541686000000".into()),
                Output::Json(json!(12))
            ]
        );
        let mapped = Filter::new("map(.id) | length")
            .unwrap()
            .run(&answer)
            .unwrap();
        assert_eq!(mapped, [Output::Json(json!(2))]);
        let objects = Filter::new("first(.[]) | {id}")
            .unwrap()
            .run(&answer)
            .unwrap();
        assert_eq!(objects, [Output::Json(json!({"id": "u1"}))]);
    }

    #[test]
    fn a_bad_expression_says_what_is_wrong() {
        let error = Filter::new(".[] |").unwrap_err();
        assert!(error.contains("expected"), "{error}");
        let error = Filter::new("nosuchfilter").unwrap_err();
        assert_eq!(error, "undefined filter `nosuchfilter`");
        let error = Filter::new(".a").unwrap().run(&json!([1])).unwrap_err();
        assert!(error.contains("cannot index"), "{error}");
    }
}
