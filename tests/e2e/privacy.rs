//! Logs and metrics carry ids, outcomes and codes, never the personal data in a result.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use crate::support::{PERSONAL_VALUES, TestServer, evaluate_json, fixture, workflow_fixtures};

/// Everything the server logged in this test binary, at every level.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&logs);
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogSink(Arc::clone(&sink)))
            .init();
        logs
    })
    .clone()
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_personal_data_reaches_the_logs_or_the_metrics() {
    let logs = captured_logs();
    let server = TestServer::start().await;
    let mut client = server.client().await;
    for name in workflow_fixtures() {
        evaluate_json(&mut client, fixture(&name)).await;
    }
    // An error path logs too.
    let bad =
        fixture("01-clean-pass-score-0.json").replace("\"score\": 0.0", "\"score\": \"JORDAN\"");
    assert!(
        client
            .evaluate(crate::support::json_request(bad))
            .await
            .is_err()
    );

    let text = String::from_utf8(logs.lock().expect("log buffer").clone()).expect("utf-8 logs");
    // Metrics are checked with the logs: the same needles, in what a scraper sees.
    let metrics = crate::support::metrics().render();
    assert!(
        metrics.contains("verdict_decisions_total{policy=\"jumio-default\",outcome=\"OUTCOME_DECLINE\",code=\"FACE_MISMATCH\"}"),
        "decisions were not counted:\n{metrics}"
    );
    let text = format!("{text}\n{metrics}");
    // The logs were captured: the workflow id of the clean pass is there.
    assert!(
        text.contains("02c1ef8f-6006-5146-9113-94776d502e5d"),
        "no request was logged:\n{text}"
    );
    // Names, birth dates, document numbers and addresses from the fixtures are not.
    for personal in PERSONAL_VALUES {
        assert!(
            !text.contains(personal),
            "{personal} appears in the logs or metrics:\n{text}"
        );
    }
}
