//! Every page: `--all` asks for each next page with the token the last gave, printing each as
//! it comes; `logs list --follow` prints new events until Ctrl-C or a closed pipe.

use std::ffi::OsString;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::ArgMatches;
use finbourne_identity::IdentityClient;

use crate::failure::Failure;
use crate::generated::CliCommand;
use crate::output::View;

/// The command line of the next page: this one's, without any `--TOKEN-FLAG` it had, and with
/// `--TOKEN-FLAG token`.
pub fn next_page_args(args: &[OsString], token_flag: &str, token: &str) -> Vec<OsString> {
    let flag = format!("--{token_flag}");
    let joined = format!("--{token_flag}=");
    let mut out = Vec::with_capacity(args.len() + 2);
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if arg.to_str() == Some(flag.as_str()) {
            skip_value = true;
            continue;
        }
        if arg.to_str().is_some_and(|a| a.starts_with(&joined)) {
            continue;
        }
        out.push(arg.clone());
    }
    out.push(flag.into());
    out.push(token.into());
    out
}

/// `logs list --follow`: the events there are, then new ones as they come, each printed at
/// once, until Ctrl-C (exit 130), a closed pipe (141) or an error the SDK cannot mend.
pub async fn follow(
    identity: &IdentityClient,
    command: CliCommand,
    args: &ArgMatches,
    view: &View,
) -> Result<(), Failure> {
    let text = |name: &str| args.get_one::<String>(name).cloned();
    let since = args.get_one::<DateTime<Utc>>("okta-since").copied();
    let limit = args.get_one::<i32>("okta-limit").copied();
    let until = args.get_one::<DateTime<Utc>>("okta-until").copied();
    // Okta polls in ascending order; a later page must not come first.
    let order = text("okta-sort-order").unwrap_or_else(|| "ASCENDING".to_owned());
    let interval = args
        .get_one::<Duration>("interval")
        .copied()
        .unwrap_or(finbourne_identity::DEFAULT_POLL_INTERVAL)
        .clamp(
            finbourne_identity::MIN_POLL_INTERVAL,
            finbourne_identity::MAX_POLL_INTERVAL,
        );
    let mut events = match command {
        CliCommand::ListLogs => identity
            .list_logs()
            .set_okta_after(text("okta-after"))
            .set_okta_filter(text("okta-filter"))
            .set_okta_query(text("okta-query"))
            .set_okta_limit(limit)
            .set_okta_since(since)
            .set_okta_until(until)
            .okta_sort_order(order)
            .follow(),
        CliCommand::ListUserLogs => identity
            .list_user_logs()
            .set_okta_after(text("okta-after"))
            .set_okta_limit(limit)
            .set_okta_since(since)
            .set_okta_until(until)
            .okta_sort_order(order)
            .follow(),
        _ => unreachable!("--follow is only given to the operations the SDK follows"),
    }
    .poll_interval(interval);
    let mut first = true;
    loop {
        let event = tokio::select! {
            event = events.try_next() => event?,
            _ = tokio::signal::ctrl_c() => return Err(Failure::Interrupted),
        };
        let Some(event) = event else {
            return Ok(());
        };
        let value = serde_json::to_value(&event).unwrap_or_default();
        view.print_row(&value, first)?;
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_replaces_the_token_the_user_gave() {
        let args: Vec<OsString> = [
            "fbn-identity",
            "logs",
            "list",
            "--okta-after",
            "t0",
            "--all",
            "--okta-after=t1",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        let next = next_page_args(&args, "okta-after", "t2");
        assert_eq!(
            next,
            [
                "fbn-identity",
                "logs",
                "list",
                "--all",
                "--okta-after",
                "t2"
            ]
        );
    }
}
