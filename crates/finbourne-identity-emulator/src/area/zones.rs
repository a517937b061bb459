//! Network zones (`/api/networkzones`): IP addresses and ranges with an action, in a
//! hierarchy.
//!
//! The engine serves the five operations; here: the checks (code, action, addresses), the
//! hierarchy (a new zone goes last; an update moves the zone to the position it names and
//! renumbers the others from 1; a delete closes the gap), and deleting an unknown zone
//! succeeding, as the service's delete does. Zones are stored, not enforced: the emulator does
//! not block requests.

use std::net::IpAddr;

use finbourne_identity_client::types::NetworkZoneDefinitionResponse;
use serde_json::Value;

use super::Problems;
use crate::reply::Reply;
use crate::resources::{Call, Change, Meaning, Named, Record, shaped};
use crate::state::State;

pub(crate) const COLLECTION: &str = "/api/networkzones";

const ACTIONS: &[&str] = &["Block", "Allow", "NoOp"];

/// Whether `value` is an IP address or a CIDR range.
fn is_address(value: &str) -> bool {
    match value.split_once('/') {
        None => value.parse::<IpAddr>().is_ok(),
        Some((addr, bits)) => match (addr.parse::<IpAddr>(), bits.parse::<u8>()) {
            (Ok(IpAddr::V4(_)), Ok(bits)) => bits <= 32,
            (Ok(IpAddr::V6(_)), Ok(bits)) => bits <= 128,
            _ => false,
        },
    }
}

fn hierarchy(record: &Record) -> i64 {
    record
        .get("hierarchy")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MAX)
}

/// Puts the zones in hierarchy order and numbers them from 1; `moved` (a code) goes to its
/// record's `hierarchy` position, the others keep their order.
fn renumber(st: &mut State, moved: Option<&str>) {
    let zones = st.resources.all_mut(COLLECTION);
    let code = |r: &Record| r.get("code").and_then(Value::as_str).map(str::to_owned);
    let mut mover = None;
    if let Some(moved) = moved
        && let Some(i) = zones.iter().position(|r| code(r).as_deref() == Some(moved))
    {
        mover = Some(zones.remove(i));
    }
    zones.sort_by_key(hierarchy);
    if let Some(mover) = mover {
        let at = usize::try_from(hierarchy(&mover).saturating_sub(1))
            .unwrap_or(0)
            .min(zones.len());
        zones.insert(at, mover);
    }
    for (i, zone) in zones.iter_mut().enumerate() {
        zone.insert("hierarchy".into(), Value::from(i + 1));
    }
}

/// The engine's meaning for `/api/networkzones`.
pub(crate) struct Zones;

impl Meaning for Zones {
    fn named(&self) -> Option<Named> {
        Some(Named {
            kind: "NetworkZone",
            article: "A",
            noun: "network zone",
            key: "code",
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
            let code = record.get("code").and_then(Value::as_str).unwrap_or("");
            problems.code("code", code);
        }
        if let Some(action) = problems.optional_string(record, "action") {
            match ACTIONS.iter().find(|a| a.eq_ignore_ascii_case(action)) {
                Some(action) => {
                    record.insert("action".into(), Value::from(*action));
                }
                None => problems.add("action", "The action field must be Block, Allow or NoOp."),
            }
        }
        let ips = record
            .get("networkZoneIPs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, ip) in ips.iter().enumerate() {
            let value = ip.get("value").and_then(Value::as_str).unwrap_or("");
            if !is_address(value.trim()) {
                problems.add(
                    &format!("networkZoneIPs[{i}].value"),
                    format!("'{value}' is neither an IP address nor a CIDR range."),
                );
            }
        }
        for list in ["sessionType", "userRoles"] {
            let all_text = record
                .get("applyRules")
                .and_then(|r| r.get(list))
                .and_then(Value::as_array)
                .is_some_and(|items| items.iter().all(Value::is_string));
            if !all_text {
                problems.add(
                    &format!("applyRules.{list}"),
                    format!("The applyRules.{list} field must be a list of text values."),
                );
            }
        }
        let live = st.resources.records(COLLECTION).count();
        let position = match old {
            // A new zone goes last.
            None => i64::try_from(live).unwrap_or(i64::MAX).saturating_add(1),
            Some(_) => match record.get("hierarchy").and_then(Value::as_i64) {
                Some(h) if h >= 1 => h.min(i64::try_from(live).unwrap_or(i64::MAX)),
                _ => {
                    problems.add("hierarchy", "The hierarchy field must be 1 or more.");
                    1
                }
            },
        };
        problems.check(call.instance)?;
        record.insert("hierarchy".into(), Value::from(position));
        Ok(())
    }

    fn stored(&self, _call: &Call<'_>, st: &mut State, change: Change, record: &Record) {
        let code = record.get("code").and_then(Value::as_str);
        match change {
            Change::Updated => renumber(st, code),
            Change::Created | Change::Deleted => renumber(st, None),
        }
    }

    fn present(&self, _call: &Call<'_>, record: &Record) -> Result<Value, Reply> {
        Ok(shaped::<NetworkZoneDefinitionResponse>(record))
    }

    fn delete_missing_ok(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_ranges() {
        for ok in ["77.77.77.1", "77.77.77.0/24", "::1", "2001:db8::/32"] {
            assert!(is_address(ok), "{ok}");
        }
        for bad in [
            "",
            "77.77.77",
            "77.77.77.0/33",
            "::1/129",
            "host.example.com",
            "1.2.3.4/x",
        ] {
            assert!(!is_address(bad), "{bad}");
        }
    }
}
