//! MCP tools (`/api/mcptools/{scope}/{code}`): tool definitions that run a Luminesce query or a
//! Scheduler job, kept in versions.
//!
//! The engine serves the five operations; here: the checks, the payload type, the name unique in
//! the domain (409), the versions (create: 1; every update adds one; `GetMcpTool?version=N`
//! answers an earlier one) and the soft delete (the tool is gone from every operation; a tool
//! can be created again under the same scope and code).

use axum::http::StatusCode;
use finbourne_identity_client::types::McpToolResponse;
use serde_json::Value;

use super::Problems;
use crate::reply::{CODE_DUPLICATE, Reply, not_found, problem};
use crate::resources::{Call, Meaning, Named, Record, shaped, visible_fields};
use crate::state::State;

pub(crate) const COLLECTION: &str = "/api/mcptools";

/// Earlier versions of a tool, oldest first, as they were answered.
const VERSIONS: &str = "$versions";

const HINTS: &[&str] = &["destructive", "idempotent", "openWorld", "readOnly"];

fn is_name(value: &str, max: usize) -> bool {
    (1..=max).contains(&value.chars().count())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn version(record: &Record) -> i64 {
    record.get("version").and_then(Value::as_i64).unwrap_or(0)
}

fn check_parameters(problems: &mut Problems, record: &Record) {
    let Some(parameters) = record.get("parameters").filter(|p| !p.is_null()) else {
        return;
    };
    let Some(parameters) = parameters.as_array() else {
        problems.add("parameters", "The parameters field must be an array.");
        return;
    };
    for (i, parameter) in parameters.iter().enumerate() {
        let at = format!("parameters[{i}]");
        let name = parameter.get("name").and_then(Value::as_str).unwrap_or("");
        if !is_name(name, 50) {
            problems.add(
                &format!("{at}.name"),
                "The name field must be 1 to 50 letters, digits, '-' or '_'.",
            );
        }
        let typed = parameter
            .get("dataType")
            .and_then(Value::as_str)
            .is_some_and(|t| !t.trim().is_empty());
        if !typed {
            problems.add(
                &format!("{at}.dataType"),
                format!("The {at}.dataType field is required."),
            );
        }
    }
}

/// Checks the payload; `Some` is the payload type.
fn check_payload(problems: &mut Problems, record: &Record) -> Option<&'static str> {
    let given = |field: &str| record.get(field).is_some_and(|v| !v.is_null());
    match (given("luminescePayload"), given("schedulerPayload")) {
        (true, false) => {
            let query = record["luminescePayload"]
                .get("query")
                .and_then(Value::as_str)
                .unwrap_or("");
            if query.trim().is_empty() || query.chars().count() > 50_000 {
                problems.add(
                    "luminescePayload.query",
                    "The luminescePayload.query field must hold 1 to 50000 characters.",
                );
            }
            Some("Luminesce")
        }
        (false, true) => {
            for field in ["jobScope", "jobCode"] {
                let value = record["schedulerPayload"]
                    .get(field)
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let mut inner = Problems::default();
                inner.code(field, value);
                if inner.check("").is_err() {
                    problems.add(
                        &format!("schedulerPayload.{field}"),
                        format!(
                            "The schedulerPayload.{field} field must be 1 to 64 letters, digits, '-' or '_'."
                        ),
                    );
                }
            }
            Some("Scheduler")
        }
        _ => {
            problems.add(
                "luminescePayload",
                "Give exactly one of luminescePayload and schedulerPayload.",
            );
            None
        }
    }
}

/// The engine's meaning for `/api/mcptools`.
pub(crate) struct McpTools;

impl Meaning for McpTools {
    fn named(&self) -> Option<Named> {
        Some(Named {
            kind: "McpTool",
            article: "An",
            noun: "MCP tool",
            key: "scope and code",
        })
    }

    fn prepare(
        &self,
        call: &Call<'_>,
        st: &State,
        record: &mut Record,
        old: Option<&Record>,
    ) -> Result<(), Reply> {
        let mut problems = Problems::default();
        if old.is_none() {
            problems.code("scope", call.param("scope"));
            problems.code("code", call.param("code"));
        }
        let name = problems
            .optional_string(record, "name")
            .unwrap_or("")
            .to_owned();
        if !is_name(&name, 256) {
            problems.add(
                "name",
                "The name field must be 1 to 256 letters, digits, '-' or '_'.",
            );
        }
        if let Some(title) = problems.optional_string(record, "title") {
            problems.length("title", title, 1, 256);
        }
        if let Some(description) = problems.optional_string(record, "description") {
            problems.length("description", description, 1, 2000);
        }
        for hint in HINTS {
            match record.get(*hint) {
                None | Some(Value::Null) => {
                    record.insert((*hint).into(), Value::Bool(false));
                }
                Some(Value::Bool(_)) => {}
                Some(_) => problems.add(hint, format!("The {hint} field must be true or false.")),
            }
        }
        let template = problems
            .optional_string(record, "destructiveActionSummaryTemplate")
            .unwrap_or("")
            .to_owned();
        if template.chars().count() > 500 {
            problems.add(
                "destructiveActionSummaryTemplate",
                "The destructiveActionSummaryTemplate field must be at most 500 characters long.",
            );
        }
        if record.get("destructive") == Some(&Value::Bool(true)) && template.trim().is_empty() {
            problems.add(
                "destructiveActionSummaryTemplate",
                "A destructive tool needs a destructiveActionSummaryTemplate.",
            );
        }
        check_parameters(&mut problems, record);
        let payload_type = check_payload(&mut problems, record);
        problems.check(call.instance)?;
        let me = (call.param("scope"), call.param("code"));
        let clash = st.resources.records(COLLECTION).any(|tool| {
            let other = (
                tool.get("scope").and_then(Value::as_str).unwrap_or(""),
                tool.get("code").and_then(Value::as_str).unwrap_or(""),
            );
            other != me && tool.get("name").and_then(Value::as_str) == Some(name.as_str())
        });
        if clash {
            return Err(problem(
                StatusCode::CONFLICT,
                CODE_DUPLICATE,
                "McpToolNameTaken",
                "MCP tool name already used",
                format!("Another MCP tool in the domain is named '{name}'."),
                call.instance,
            ));
        }
        if let Some(payload_type) = payload_type {
            record.insert("payloadType".into(), Value::from(payload_type));
        }
        match old {
            None => {
                record.insert("version".into(), Value::from(1));
                record.remove(VERSIONS);
            }
            Some(old) => {
                let mut versions = old
                    .get(VERSIONS)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                versions.push(visible_fields(old));
                record.insert(VERSIONS.into(), Value::Array(versions));
                record.insert("version".into(), Value::from(version(old) + 1));
            }
        }
        Ok(())
    }

    fn present(&self, call: &Call<'_>, record: &Record) -> Result<Value, Reply> {
        let wanted = (call.op.operation_id == "GetMcpTool")
            .then(|| call.int_query("version"))
            .flatten();
        match wanted {
            Some(v) if v != version(record) => {
                let earlier = record
                    .get(VERSIONS)
                    .and_then(Value::as_array)
                    .and_then(|all| {
                        all.iter()
                            .filter_map(Value::as_object)
                            .find(|old| version(old) == v)
                    })
                    .ok_or_else(|| {
                        not_found(
                            crate::reply::CODE_UNKNOWN,
                            "McpToolVersionNotFound",
                            format!("The MCP tool has no version {v}."),
                            call.instance,
                        )
                    })?;
                Ok(shaped::<McpToolResponse>(earlier))
            }
            _ => Ok(shaped::<McpToolResponse>(record)),
        }
    }

    fn soft_delete(&self) -> bool {
        true
    }
}
