//! The command line's short names: a group per tag and a command per operation, derived from
//! the spec so that a new operation gets a name without anyone choosing one.
//!
//! - A group is named after the path its operations share (`/api/keys` -> `keys`), written in
//!   the tag's words when the two agree (`/api/cellmanagement`, tag `CellManagement` ->
//!   `cell-management`); when its operations do not share a path, after its tag (`users`).
//! - A command is its operation id without the group's noun: `ListUsers` in `users` -> `list`,
//!   `AddUserToRole` in `roles` -> `add-user`. The noun is any ending of the group's name, its
//!   tag, or a record several of its operations answer with (`ApiKey`, so `CreateApiKey` in
//!   `keys` is `create`), singular or plural. The longest such run of words goes, with a
//!   preposition left dangling at the end (`to`, `in`, `from`...).
//! - Two operations of a group whose short names would be the same both keep their whole id.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToKebabCase, ToSnakeCase};
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::operations::OperationFacts;

/// Words left at the end of an id once its noun is gone, that only made sense before it.
const PREPOSITIONS: &[&str] = &["in", "to", "from", "of", "for", "by", "on", "with"];

/// The command line's names of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliName {
    /// Snake case, as the table of operations has it: `list_users`.
    pub id: String,
    /// The group: `users`.
    pub group: String,
    /// The command within the group: `list`.
    pub command: String,
}

/// The short names of every operation of `tree`, in the order of `facts`.
pub fn names(tree: &Value, facts: &[OperationFacts]) -> Vec<CliName> {
    let mut by_tag: BTreeMap<&str, Vec<&OperationFacts>> = BTreeMap::new();
    for op in facts {
        by_tag.entry(op.tag.as_str()).or_default().push(op);
    }
    let mut named: BTreeMap<&str, CliName> = BTreeMap::new();
    for (tag, ops) in by_tag {
        let group = group_name(tag, &ops);
        let mut phrases: Vec<Vec<String>> = vec![words(&group), words(tag)];
        // A record names the group's things when several of its operations answer with it
        // (`ApiKey`), not when one does (`TemporaryPassword` of `ExpirePassword`).
        let mut answered: BTreeMap<String, usize> = BTreeMap::new();
        for record in ops.iter().flat_map(|op| answer_records(tree, op)) {
            *answered.entry(record).or_default() += 1;
        }
        phrases.extend(
            answered
                .into_iter()
                .filter(|(_, count)| *count > 1)
                .map(|(record, _)| words(&record)),
        );
        let short: Vec<String> = ops
            .iter()
            .map(|op| command_name(&words(&op.operation_id), &phrases))
            .collect();
        for (op, name) in ops.iter().zip(&short) {
            let clash = short.iter().filter(|other| *other == name).count() > 1;
            let command = if clash {
                op.operation_id.to_kebab_case()
            } else {
                name.clone()
            };
            named.insert(
                &op.id,
                CliName {
                    id: op.id.clone(),
                    group: group.clone(),
                    command,
                },
            );
        }
    }
    facts
        .iter()
        .filter_map(|op| named.remove(op.id.as_str()))
        .collect()
}

/// The words of a name in any case: `ListOwnApiKeys` -> `list own api keys`.
fn words(name: &str) -> Vec<String> {
    name.to_snake_case()
        .split('_')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn group_name(tag: &str, ops: &[&OperationFacts]) -> String {
    let from_tag = tag.to_kebab_case();
    let first_segment = |op: &&OperationFacts| {
        op.path
            .trim_start_matches('/')
            .split('/')
            .nth(1)
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let segments: BTreeSet<String> = ops.iter().map(first_segment).collect();
    match segments.into_iter().collect::<Vec<_>>().as_slice() {
        [shared]
            if !shared.is_empty()
                && !shared.contains('{')
                && shared.chars().all(|c| c.is_ascii_alphanumeric())
                && *shared != from_tag.replace('-', "") =>
        {
            shared.clone()
        }
        _ => from_tag,
    }
}

/// The records (schema names) of the operation's successful JSON answers, an array's items'.
fn answer_records(tree: &Value, op: &OperationFacts) -> Vec<String> {
    let Some(operation) = tree
        .get("paths")
        .and_then(|paths| paths.get(&op.path))
        .and_then(|item| item.get(op.method.to_ascii_lowercase()))
    else {
        return Vec::new();
    };
    operation
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(status, _)| status.starts_with('2'))
        .filter_map(|(_, response)| response.pointer("/content/application~1json/schema"))
        .filter_map(|schema| {
            schema
                .get("$ref")
                .or_else(|| schema.pointer("/items/$ref"))
                .and_then(Value::as_str)
        })
        .filter_map(|reference| reference.rsplit('/').next())
        .map(str::to_owned)
        .collect()
}

/// Whether two words are one noun, singular or plural.
fn same_noun(a: &str, b: &str) -> bool {
    let singular = |w: &str| w.strip_suffix('s').unwrap_or(w).to_owned();
    a == b || singular(a) == singular(b)
}

/// `id` (its words) without the longest run that ends one of `phrases`, the verb kept.
fn command_name(id: &[String], phrases: &[Vec<String>]) -> String {
    let mut best: Option<(usize, usize)> = None;
    for start in 1..id.len() {
        for end in start + 1..=id.len() {
            let run = &id[start..end];
            let ends_a_phrase = phrases.iter().any(|phrase| {
                phrase.len() >= run.len() && {
                    let tail = &phrase[phrase.len() - run.len()..];
                    let last = run.len() - 1;
                    run[..last] == tail[..last] && same_noun(&run[last], &tail[last])
                }
            });
            if ends_a_phrase && best.is_none_or(|(s, e)| end - start > e - s) {
                best = Some((start, end));
            }
        }
    }
    let mut kept: Vec<&str> = id.iter().map(String::as_str).collect();
    if let Some((start, end)) = best {
        kept.drain(start..end);
        if end == id.len() && kept.len() > 1 && PREPOSITIONS.contains(kept.last().unwrap_or(&"")) {
            kept.pop();
        }
    }
    kept.join("-")
}

/// The names as Rust, for the generated command line: `NAMES`, one row per operation.
pub fn tokens(names: &[CliName]) -> TokenStream {
    let rows = names.iter().map(|n| {
        let (id, group, command) = (&n.id, &n.group, &n.command);
        quote!((#id, #group, #command))
    });
    quote! {
        /// The command line's name of each operation, derived from the spec by the xtask:
        /// (the operation's snake-case id, its group, its command within the group).
        pub const NAMES: &[(&str, &str, &str)] = &[#(#rows),*];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(id: &str, phrases: &[&str]) -> String {
        let phrases: Vec<Vec<String>> = phrases.iter().map(|p| words(p)).collect();
        command_name(&words(id), &phrases)
    }

    #[test]
    fn the_groups_noun_goes_and_the_verb_stays() {
        assert_eq!(name("ListUsers", &["users"]), "list");
        assert_eq!(name("ListRunnableUsers", &["users"]), "list-runnable");
        assert_eq!(name("GetUserFromLogin", &["users"]), "get-from-login");
        assert_eq!(name("AddUserToRole", &["roles"]), "add-user");
        assert_eq!(name("ListUsersInRole", &["roles"]), "list-users");
        assert_eq!(name("CreateApiKey", &["keys", "ApiKey"]), "create");
        assert_eq!(name("ListOwnApiKeys", &["keys", "ApiKey"]), "list-own");
        assert_eq!(
            name(
                "ListExternalTokenIssuers",
                &["ExternalTokenIssuerResponse", "external-token-issuers"]
            ),
            "list"
        );
        assert_eq!(name("AddScim", &["identity-provider"]), "add-scim");
        // The verb is never taken for the noun.
        assert_eq!(name("Users", &["users"]), "users");
    }

    /// The spec's operations, named: every name unique within its group, no group named like a
    /// hand-written command, and the names the README shows.
    #[test]
    fn every_operation_of_the_spec_has_a_name_unique_in_its_group() {
        let root = crate::generate::workspace_root();
        let text = std::fs::read_to_string(root.join(crate::generate::SPEC)).unwrap();
        let mut tree = crate::spec::parse_tree(std::path::Path::new("spec"), &text).unwrap();
        crate::passes::normalise(&mut tree);
        let facts = crate::operations::facts(&tree);
        let names = names(&tree, &facts);
        assert_eq!(names.len(), facts.len());
        let mut seen = BTreeSet::new();
        for n in &names {
            assert!(
                seen.insert((&n.group, &n.command)),
                "{} {} twice",
                n.group,
                n.command
            );
            assert!(!["scim", "config", "completion", "auth", "help"].contains(&n.group.as_str()));
            assert!(
                n.command
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{n:?}"
            );
        }
        let find = |id: &str| {
            let n = names.iter().find(|n| n.id == id).unwrap();
            format!("{} {}", n.group, n.command)
        };
        for (id, expected) in [
            ("list_users", "users list"),
            ("get_user", "users get"),
            ("create_role", "roles create"),
            ("add_user_to_role", "roles add-user"),
            ("create_api_key", "keys create"),
            ("list_logs", "logs list"),
            ("list_user_logs", "logs list-user"),
            (
                "get_cell_parent_status",
                "cell-management get-cell-parent-status",
            ),
            ("list_external_token_issuers", "external-token-issuers list"),
            ("add_scim", "identity-provider add-scim"),
            ("invalidate_token", "tokens invalidate"),
        ] {
            assert_eq!(find(id), expected);
        }
    }
}
