//! `verdict eval FILE…`: decides retrieval bodies offline, through the same
//! decision path as the server.

use std::process::ExitCode;

use crate::PolicyStore;
use crate::cli::EvalArgs;
use crate::decide::{DecideOptions, Input, decide};
use crate::proto_json;

/// Decides each file; prints each decision as JSON on stdout and each failure
/// on stderr. Exits non-zero when any file could not be decided.
pub fn eval(args: &EvalArgs) -> ExitCode {
    let store = match PolicyStore::open(args.policy_dir.as_deref(), None, true) {
        Ok(store) => store,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(2);
        }
    };
    let policies = store.current();
    let policy = match policies.get(&args.policy_id) {
        Ok(loaded) => &loaded.policy,
        Err(error) => {
            eprintln!("verdict: {error}");
            return ExitCode::from(2);
        }
    };
    let mut all_decided = true;
    for file in &args.files {
        let outcome = std::fs::read_to_string(file)
            .map_err(|error| error.to_string())
            .and_then(|body| {
                let options = DecideOptions {
                    explain: args.explain,
                    ..DecideOptions::default()
                };
                decide(Some(Input::Json(&body)), policy, options).map_err(|error| error.to_string())
            })
            .and_then(|decision| proto_json::decision_to_json(&decision));
        match outcome {
            Ok(json) => println!("{json}"),
            Err(message) => {
                all_decided = false;
                eprintln!("verdict: {}: {message}", file.display());
            }
        }
    }
    if all_decided {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
