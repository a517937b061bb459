//! Cell management (`/api/cellmanagement/...`): this cell's primary domain and its attachment
//! to a parent admin domain, as a state machine.
//!
//! ```text
//!              SetParentCell(confirm=false)
//!              SetAttachingKey                         AcceptCellAttachment
//! Standalone ─────────────────────────────► Proposed ─────────────────────────► Attached
//!     ▲                                       │  │   (registration, in the call)    │
//!     │            RefuseCellAttachment       │  │                                  │
//!     ├───────────────────────────────────────┘  │ SetParentCell(confirm=true)      │
//!     │                                          ▼                                  │
//!     │                                      Attaching ──(registration, after ──►   │
//!     │                                          │        CELL_REGISTRATION_DELAY)  │
//!     │                                          │        Attached or Failed        │
//!     │                 DetachParentCell(confirm=false) from Attached, Attaching,   │
//!     │                 Failed or Detaching                                         │
//!     │   DetachParentCell(confirm=true)                                            ▼
//!     └──────────────────────────────────────── Detaching ◄──────────────────────────
//! ```
//!
//! Registration runs its checkpoints in order (`UserEnsured`, `PATGenerated`, `PATPushed`),
//! resuming from the last one reached. Pushing the PAT to the parent needs the stored Attaching
//! Key and the id the parent gave this cell (`parentAssignedCellId` of SetAttachingKey); without
//! them registration stops at `PATGenerated` and the cell is `Failed`, with `registrationError`
//! saying why. `AcceptCellAttachment` retries a `Failed` cell; `SetAttachingKey` on a `Failed`
//! cell stores a new key and proposes the attachment again.

use std::fmt;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::call::Call;
use crate::reply::{Reply, invalid_field, problem, validation};
use crate::state::{State, add};
use crate::{Emulator, REDACTED, lock};

/// The operations this module answers.
pub(crate) const OPERATIONS: &[&str] = &[
    "GetCellParentStatus",
    "SetParentCell",
    "SetAttachingKey",
    "AcceptCellAttachment",
    "RefuseCellAttachment",
    "DetachParentCell",
    "RotateAttachingKey",
    "RotateDomainKeys",
    "SetPrimaryDomain",
    "RemovePrimaryDomain",
];

/// The name of the emulator's domain: what `SetPrimaryDomain` makes the cell's primary domain.
pub const DOMAIN_NAME: &str = "emulator";

/// How long, on the emulator's clock, registration of a cell that `SetParentCell` moved to
/// `Attaching` takes: the service does it in a background job; the emulator finishes it when a
/// cell-management call or [`Emulator::cell_status`] comes this long after. Move the clock with
/// [`Emulator::advance_clock`] to get there without waiting.
pub const CELL_REGISTRATION_DELAY: Duration = Duration::from_secs(5);

/// The prefix of the access tokens the emulator's token endpoint issues (its JWTs, as far as
/// the API can tell); personal access tokens have other forms.
const JWT_PREFIX: &str = "emu_at_";

/// FINBOURNE error code: invalid request.
const CODE_INVALID_REQUEST: i32 = 157;
/// FINBOURNE error code: wrong authentication type for this action.
const CODE_WRONG_AUTHENTICATION: i32 = 785;

/// The registration checkpoints, in order.
const STEPS: [&str; 3] = ["UserEnsured", "PATGenerated", "PATPushed"];

/// Where a cell stands with a parent admin domain (`status` of `CellParentStatusResponse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CellAttachment {
    /// No parent.
    #[default]
    Standalone,
    /// An attachment to a parent is proposed, not yet accepted.
    Proposed,
    /// Registration with the parent is under way.
    Attaching,
    /// Attached to the parent.
    Attached,
    /// Registration failed; retry with `AcceptCellAttachment` or give up with `DetachParentCell`.
    Failed,
    /// Detaching: the first `DetachParentCell` call was made, the confirming one not yet.
    Detaching,
}

impl CellAttachment {
    /// The status as the API spells it: `Standalone`, `Proposed`, ...
    ///
    /// ```
    /// use finbourne_identity_emulator::CellAttachment;
    /// assert_eq!(CellAttachment::Attached.as_str(), "Attached");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CellAttachment::Standalone => "Standalone",
            CellAttachment::Proposed => "Proposed",
            CellAttachment::Attaching => "Attaching",
            CellAttachment::Attached => "Attached",
            CellAttachment::Failed => "Failed",
            CellAttachment::Detaching => "Detaching",
        }
    }
}

impl fmt::Display for CellAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The cell's state, stored.
#[derive(Clone, Default)]
pub(crate) struct Cell {
    attachment: CellAttachment,
    admin_domain: Option<String>,
    primary_domain: Option<String>,
    attaching_key: Option<String>,
    parent_cell_id: Option<i64>,
    /// Index in [`STEPS`] of the last checkpoint reached.
    step: Option<usize>,
    error: Option<String>,
    rotation_cutoff: Option<DateTime<Utc>>,
    /// When a cell `Attaching` through SetParentCell finishes registration.
    registration_due: Option<DateTime<Utc>>,
}

impl fmt::Debug for Cell {
    /// Shows the state with the Attaching Key redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cell")
            .field("attachment", &self.attachment)
            .field("admin_domain", &self.admin_domain)
            .field("primary_domain", &self.primary_domain)
            .field(
                "attaching_key",
                &self.attaching_key.as_ref().map(|_| REDACTED),
            )
            .field("parent_cell_id", &self.parent_cell_id)
            .field("step", &self.step)
            .field("error", &self.error)
            .field("rotation_cutoff", &self.rotation_cutoff)
            .finish()
    }
}

impl Cell {
    /// Finishes a background registration that is due.
    fn catch_up(&mut self, now: DateTime<Utc>) {
        if self.attachment == CellAttachment::Attaching
            && self.registration_due.is_some_and(|due| due <= now)
        {
            self.register();
        }
    }

    /// Runs registration from the last checkpoint: `Attached`, or `Failed` with the reason.
    fn register(&mut self) {
        self.registration_due = None;
        let mut next = self.step.map_or(0, |s| s + 1);
        while next < STEPS.len() {
            if STEPS[next] == "PATPushed" {
                let missing = match (&self.attaching_key, self.parent_cell_id) {
                    (None, _) => Some(
                        "The PAT could not be pushed to the parent admin domain: no Attaching Key is stored (call SetAttachingKey).",
                    ),
                    (Some(_), None) => Some(
                        "The PAT could not be pushed to the parent admin domain: the id the parent gave this cell is unknown (call SetAttachingKey with parentAssignedCellId).",
                    ),
                    _ => None,
                };
                if let Some(reason) = missing {
                    self.attachment = CellAttachment::Failed;
                    self.error = Some(reason.to_owned());
                    return;
                }
            }
            self.step = Some(next);
            next += 1;
        }
        self.attachment = CellAttachment::Attached;
        self.error = None;
    }

    /// Back to `Standalone`: no parent, key or registration. The primary domain stays.
    fn reset(&mut self) {
        *self = Cell {
            primary_domain: self.primary_domain.take(),
            ..Cell::default()
        };
    }

    /// `CellParentStatusResponse`.
    fn json(&self) -> Value {
        json!({
            "status": self.attachment.as_str(),
            "adminDomainName": self.admin_domain,
            "primaryDomainName": self.primary_domain,
            "registrationStep": self.step.map(|s| STEPS[s]),
            "registrationError": self.error,
        })
    }
}

/// A snapshot of the emulator's cell-management state; see [`Emulator::cell_status`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CellStatus {
    /// Where the cell stands with a parent admin domain.
    pub attachment: CellAttachment,
    /// The parent admin domain, if one is proposed or attached.
    pub admin_domain_name: Option<String>,
    /// The primary domain ([`DOMAIN_NAME`] once `SetPrimaryDomain` was called).
    pub primary_domain_name: Option<String>,
    /// The last registration checkpoint reached.
    pub registration_step: Option<String>,
    /// Why registration last failed.
    pub registration_error: Option<String>,
    /// The stored Attaching Key (a secret of the parent's; redacted by `Debug`).
    pub attaching_key: Option<String>,
    /// The id the parent admin portal gave this cell.
    pub parent_assigned_cell_id: Option<i64>,
    /// When `RotateDomainKeys` last set the rotation cutoff.
    pub rotation_cutoff: Option<DateTime<Utc>>,
}

impl fmt::Debug for CellStatus {
    /// Shows the snapshot with the Attaching Key redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CellStatus")
            .field("attachment", &self.attachment)
            .field("admin_domain_name", &self.admin_domain_name)
            .field("primary_domain_name", &self.primary_domain_name)
            .field("registration_step", &self.registration_step)
            .field("registration_error", &self.registration_error)
            .field(
                "attaching_key",
                &self.attaching_key.as_ref().map(|_| REDACTED),
            )
            .field("parent_assigned_cell_id", &self.parent_assigned_cell_id)
            .field("rotation_cutoff", &self.rotation_cutoff)
            .finish()
    }
}

impl Emulator {
    /// The cell-management state (what `GetCellParentStatus` answers, plus the stored
    /// Attaching Key, the parent-assigned cell id and the rotation cutoff). A registration that
    /// is due (see [`CELL_REGISTRATION_DELAY`]) is finished first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), finbourne_identity_emulator::Error> {
    /// use finbourne_identity_emulator::{CellAttachment, Emulator};
    ///
    /// let emu = Emulator::start().await?;
    /// let cell = emu.cell_status();
    /// assert_eq!(cell.attachment, CellAttachment::Standalone);
    /// assert_eq!(cell.primary_domain_name, None);
    /// # Ok(()) }
    /// ```
    pub fn cell_status(&self) -> CellStatus {
        let now = self.shared.clock.now();
        let mut st = lock(&self.shared.state);
        let cell = &mut st.cell;
        cell.catch_up(now);
        CellStatus {
            attachment: cell.attachment,
            admin_domain_name: cell.admin_domain.clone(),
            primary_domain_name: cell.primary_domain.clone(),
            registration_step: cell.step.map(|s| STEPS[s].to_owned()),
            registration_error: cell.error.clone(),
            attaching_key: cell.attaching_key.clone(),
            parent_assigned_cell_id: cell.parent_cell_id,
            rotation_cutoff: cell.rotation_cutoff,
        }
    }
}

// ----- requests ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetParentCellRequest {
    admin_domain_name: String,
    confirm: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetAttachingKeyRequest {
    pat: String,
    parent_domain_name: String,
    #[serde(default)]
    parent_assigned_cell_id: Option<i64>,
}

#[derive(Deserialize)]
struct RotateAttachingKeyRequest {
    pat: String,
}

#[derive(Debug, Deserialize)]
struct DetachParentCellRequest {
    #[serde(default)]
    confirm: bool,
}

/// The spec's domain name rule: 3 to 30 characters, `^[a-zA-Z]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`.
fn valid_domain_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=30).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// An Attaching Key: 1 to 2000 opaque-token characters (letters, digits, `-._~+/=`).
fn valid_pat(pat: &str) -> bool {
    (1..=2000).contains(&pat.len())
        && pat
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
}

fn check_domain(field: &str, name: &str, call: &Call<'_>) -> Result<(), Reply> {
    if valid_domain_name(name) {
        Ok(())
    } else {
        Err(invalid_field(
            field,
            format!(
                "The {field} field must be 3 to 30 letters, digits or hyphens, starting with a letter and not ending with a hyphen."
            ),
            call.instance,
        ))
    }
}

fn check_pat(pat: &str, call: &Call<'_>) -> Result<(), Reply> {
    if valid_pat(pat) {
        Ok(())
    } else {
        Err(invalid_field(
            "pat",
            "The pat field must be 1 to 2000 characters: letters, digits and - . _ ~ + / = only.",
            call.instance,
        ))
    }
}

// ----- the state machine ------------------------------------------------------------------

/// 409: the cell's status does not allow the operation.
fn wrong_status(
    operation_id: &str,
    cell: &Cell,
    allowed: &[CellAttachment],
    call: &Call<'_>,
) -> Reply {
    let allowed_names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
    let mut reply = problem(
        StatusCode::CONFLICT,
        CODE_INVALID_REQUEST,
        "InvalidCellStatus",
        "The cell's status does not allow this operation",
        format!(
            "{operation_id} needs the cell to be {}; it is {}.",
            allowed_names.join(" or "),
            cell.attachment
        ),
        call.instance,
    );
    if let crate::reply::ReplyBody::Json(Value::Object(map), _) = &mut reply.body {
        map.insert(
            "errorDetails".into(),
            json!([{ "status": cell.attachment.as_str(), "allowed": allowed_names.join(",") }]),
        );
    }
    reply
}

fn require(
    operation_id: &str,
    cell: &Cell,
    allowed: &[CellAttachment],
    call: &Call<'_>,
) -> Result<(), Reply> {
    if allowed.contains(&cell.attachment) {
        Ok(())
    } else {
        Err(wrong_status(operation_id, cell, allowed, call))
    }
}

/// Only the primary domain may change the cell's parent; with none designated, nobody may.
fn require_primary(cell: &Cell, call: &Call<'_>) -> Result<(), Reply> {
    if cell.primary_domain.as_deref() == Some(DOMAIN_NAME) {
        return Ok(());
    }
    Err(problem(
        StatusCode::CONFLICT,
        CODE_INVALID_REQUEST,
        "PrimaryDomainNotSet",
        "This cell has no primary domain",
        format!(
            "Only the cell's primary domain may do this, and the cell has none: call SetPrimaryDomain first (the emulator's domain is '{DOMAIN_NAME}')."
        ),
        call.instance,
    ))
}

/// The operations documented as needing a JWT refuse personal access tokens. The emulator's
/// JWTs are the access tokens of its token endpoint.
fn require_jwt(operation_id: &str, call: &Call<'_>) -> Result<(), Reply> {
    if call.token().starts_with(JWT_PREFIX) {
        return Ok(());
    }
    Err(problem(
        StatusCode::FORBIDDEN,
        CODE_WRONG_AUTHENTICATION,
        "WrongAuthenticationType",
        "Wrong authentication type for this action",
        format!(
            "{operation_id} needs a token from the token endpoint (JWT authentication); personal access tokens are refused."
        ),
        call.instance,
    ))
}

/// Answers one of [`OPERATIONS`].
pub(crate) fn answer(operation_id: &str, call: &Call<'_>) -> Result<Reply, Reply> {
    use CellAttachment::*;
    if operation_id != "GetCellParentStatus" {
        require_jwt(operation_id, call)?;
    }
    // Parse the body before taking the lock.
    enum Body {
        None,
        Parent(SetParentCellRequest),
        Key(SetAttachingKeyRequest),
        Rotate(RotateAttachingKeyRequest),
        Detach(DetachParentCellRequest),
    }
    let body = match operation_id {
        "SetParentCell" => {
            let body: SetParentCellRequest = call.json_body()?;
            check_domain("adminDomainName", &body.admin_domain_name, call)?;
            Body::Parent(body)
        }
        "SetAttachingKey" => {
            let body: SetAttachingKeyRequest = call.json_body()?;
            let mut errors = std::collections::BTreeMap::new();
            if !valid_pat(&body.pat) {
                errors.insert(
                    "pat".to_owned(),
                    vec!["The pat field must be 1 to 2000 characters: letters, digits and - . _ ~ + / = only.".to_owned()],
                );
            }
            if !valid_domain_name(&body.parent_domain_name) {
                errors.insert(
                    "parentDomainName".to_owned(),
                    vec!["The parentDomainName field must be 3 to 30 letters, digits or hyphens, starting with a letter and not ending with a hyphen.".to_owned()],
                );
            }
            if body.parent_assigned_cell_id.is_some_and(|id| id < 1) {
                errors.insert(
                    "parentAssignedCellId".to_owned(),
                    vec!["The parentAssignedCellId field must be at least 1.".to_owned()],
                );
            }
            if !errors.is_empty() {
                return Err(validation(errors, call.instance));
            }
            Body::Key(body)
        }
        "RotateAttachingKey" => {
            let body: RotateAttachingKeyRequest = call.json_body()?;
            check_pat(&body.pat, call)?;
            Body::Rotate(body)
        }
        "DetachParentCell" => Body::Detach(call.json_body()?),
        _ => Body::None,
    };

    let now = call.shared.clock.now();
    let mut st: std::sync::MutexGuard<'_, State> = lock(&call.shared.state);
    let cell = &mut st.cell;
    cell.catch_up(now);
    match (operation_id, body) {
        ("GetCellParentStatus", _) => {}
        ("SetPrimaryDomain", _) => cell.primary_domain = Some(DOMAIN_NAME.to_owned()),
        ("RemovePrimaryDomain", _) => {
            require_primary(cell, call)?;
            cell.primary_domain = None;
        }
        ("SetParentCell", Body::Parent(body)) => {
            require_primary(cell, call)?;
            if body.confirm {
                require(operation_id, cell, &[Proposed], call)?;
                let proposed = cell.admin_domain.as_deref().unwrap_or_default();
                if !proposed.eq_ignore_ascii_case(&body.admin_domain_name) {
                    return Err(problem(
                        StatusCode::CONFLICT,
                        CODE_INVALID_REQUEST,
                        "ParentDomainMismatch",
                        "Not the proposed parent",
                        format!(
                            "The proposed parent admin domain is '{proposed}', not '{}': confirm the one proposed, or propose another with confirm false.",
                            body.admin_domain_name
                        ),
                        call.instance,
                    ));
                }
                cell.attachment = Attaching;
                cell.registration_due = Some(add(now, CELL_REGISTRATION_DELAY));
            } else {
                require(operation_id, cell, &[Standalone, Proposed], call)?;
                cell.attachment = Proposed;
                cell.admin_domain = Some(body.admin_domain_name);
            }
        }
        ("SetAttachingKey", Body::Key(body)) => {
            require_primary(cell, call)?;
            require(operation_id, cell, &[Standalone, Proposed, Failed], call)?;
            // The parent named here counts only for a new proposal.
            if cell.attachment == Standalone || cell.admin_domain.is_none() {
                cell.admin_domain = Some(body.parent_domain_name);
            }
            cell.attaching_key = Some(body.pat);
            if body.parent_assigned_cell_id.is_some() {
                cell.parent_cell_id = body.parent_assigned_cell_id;
            }
            cell.attachment = Proposed;
        }
        ("AcceptCellAttachment", _) => {
            require_primary(cell, call)?;
            require(operation_id, cell, &[Proposed, Failed], call)?;
            if cell.attachment == Proposed && cell.attaching_key.is_none() {
                return Err(problem(
                    StatusCode::CONFLICT,
                    CODE_INVALID_REQUEST,
                    "AttachingKeyNotSet",
                    "No Attaching Key is stored",
                    "An attachment is accepted only after SetAttachingKey has stored the key from the parent admin portal.",
                    call.instance,
                ));
            }
            cell.attachment = Attaching;
            cell.register();
        }
        ("RefuseCellAttachment", _) => {
            require_primary(cell, call)?;
            require(operation_id, cell, &[Proposed], call)?;
            cell.reset();
        }
        ("DetachParentCell", Body::Detach(body)) => {
            require_primary(cell, call)?;
            if body.confirm {
                require(operation_id, cell, &[Detaching], call).map_err(|_| {
                    problem(
                        StatusCode::CONFLICT,
                        CODE_INVALID_REQUEST,
                        "InvalidCellStatus",
                        "The cell's status does not allow this operation",
                        format!(
                            "DetachParentCell with confirm true carries out a detach begun with confirm false; the cell is {}, not Detaching.",
                            cell.attachment
                        ),
                        call.instance,
                    )
                })?;
                cell.reset();
            } else {
                require(
                    operation_id,
                    cell,
                    &[Attached, Attaching, Failed, Detaching],
                    call,
                )?;
                cell.attachment = Detaching;
                cell.registration_due = None;
            }
        }
        ("RotateAttachingKey", Body::Rotate(body)) => {
            require_primary(cell, call)?;
            require(operation_id, cell, &[Attached], call)?;
            cell.attaching_key = Some(body.pat);
        }
        ("RotateDomainKeys", _) => {
            require_primary(cell, call)?;
            require(operation_id, cell, &[Attached], call)?;
            cell.rotation_cutoff = Some(now);
        }
        _ => {
            return Err(problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                crate::reply::CODE_UNKNOWN,
                "Unexpected",
                "Unexpected",
                format!("The emulator has no cell-management handler for {operation_id}."),
                call.instance,
            ));
        }
    }
    Ok(Reply::json(StatusCode::OK, cell.json()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_and_keys() {
        assert!(valid_domain_name("acme-admin"));
        assert!(valid_domain_name("abc"));
        assert!(!valid_domain_name("ab"));
        assert!(!valid_domain_name("1abc"));
        assert!(!valid_domain_name("abc-"));
        assert!(!valid_domain_name("ab_c"));
        assert!(!valid_domain_name(&"a".repeat(31)));
        assert!(valid_pat("abcd1234EFGH5678ijklMNOPqrstUVWXyz09_-."));
        assert!(!valid_pat(""));
        assert!(!valid_pat("has space"));
        assert!(!valid_pat(&"a".repeat(2001)));
    }

    #[test]
    fn registration_resumes_from_its_checkpoint() {
        let mut cell = Cell {
            attachment: CellAttachment::Attaching,
            attaching_key: Some("k".into()),
            ..Cell::default()
        };
        cell.register();
        assert_eq!(cell.attachment, CellAttachment::Failed);
        assert_eq!(cell.step, Some(1));
        assert!(
            cell.error
                .as_deref()
                .unwrap()
                .contains("parentAssignedCellId")
        );
        cell.parent_cell_id = Some(7);
        cell.register();
        assert_eq!(cell.attachment, CellAttachment::Attached);
        assert_eq!(cell.step, Some(2));
        assert_eq!(cell.error, None);
        assert!(!format!("{cell:?}").contains("\"k\""));
    }
}
