//! The test agent (`spec/08-controllers.md` §4) over an in-memory pipe, driving a real
//! Controller on a real broker with a real device: every answer of the protocol, malformed
//! and oversized lines, and an orderly stop.

use std::sync::Arc;

use hearth_mqtt::agent::{protocol::MAX_LINE, serve};
use hearth_security::acl::Privilege;
use hearth_testkit::node::{addr, rig, Rig};
use serde_json::{json, Value as Json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// The suite's end of the pipe: writes request lines, reads answer lines.
struct Suite {
    to_agent: tokio::io::WriteHalf<tokio::io::DuplexStream>,
    from_agent: tokio::io::Lines<BufReader<tokio::io::ReadHalf<tokio::io::DuplexStream>>>,
}

impl Suite {
    /// Send `line` and return the next answer (requests here are sent one at a time).
    async fn ask(&mut self, line: &str) -> Json {
        self.to_agent
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write to the agent");
        let answer = self
            .from_agent
            .next_line()
            .await
            .expect("read from the agent")
            .expect("an answer line");
        serde_json::from_str(&answer).expect("the answer is JSON")
    }

    /// Ask (request `id`) that `path` of `device` come to be believed `value`, within
    /// `timeout_ms`; the answer.
    async fn await_value(
        &mut self,
        id: u64,
        (device, path): (&str, &str),
        value: Json,
        timeout_ms: u64,
    ) -> Json {
        let request = json!({"id": id, "op": "await", "device": device, "path": path,
            "value": value, "timeout_ms": timeout_ms});
        self.ask(&request.to_string()).await
    }
}

/// HRT-CTL-010 … HRT-CTL-017: each op answered with its id, beliefs following verified
/// reports, errors of the right kind, and `stop` ending the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_answers_every_request_of_the_protocol() {
    let rig = rig().await;
    let (_device, memory) = rig.fan("fan-ag-1", rig.acl(Privilege::Operate)).await;
    let Rig {
        broker: _broker,
        pki: _pki,
        ctl,
    } = rig;
    let ctl = Arc::new(ctl);
    let (suite_end, agent_end) = tokio::io::duplex(1 << 20);
    let (agent_in, agent_out) = tokio::io::split(agent_end);
    let served = tokio::spawn(serve(ctl.clone(), agent_in, agent_out, "reference"));
    let (from_agent, to_agent) = tokio::io::split(suite_end);
    let mut suite = Suite {
        to_agent,
        from_agent: BufReader::new(from_agent).lines(),
    };
    let fan = addr("fan-ag-1").to_string();

    let hello = suite.ask(r#"{"id":1,"op":"hello"}"#).await;
    assert_eq!(hello["id"], 1);
    assert_eq!(hello["ok"]["protocol"], 1);
    assert_eq!(hello["ok"]["controller"], ctl.id());

    let devices = suite.ask(r#"{"id":2,"op":"devices"}"#).await;
    let listed = devices["ok"].as_array().expect("a list");
    let entry = listed
        .iter()
        .find(|d| d["device"] == fan.as_str())
        .expect("the fan is listed");
    assert_eq!(entry["online"], true);
    assert_eq!(entry["described"], true);

    // The full report of the fan's connection says it is off (0/3/1): awaited, since the
    // report comes on a topic of its own after the description the discovery waited for.
    let on = suite
        .await_value(3, (&fan, "0/3/1"), json!(false), 10_000)
        .await;
    assert_eq!(on["ok"], json!({"reached": true, "value": false}));

    let written = suite
        .ask(
            &json!({"id": 4, "op": "write", "device": fan,
            "values": [{"path": "0/9/1", "value": 7}]})
            .to_string(),
        )
        .await;
    assert_eq!(written["ok"]["statuses"][0]["status"], "success");
    assert_eq!(
        memory.get(&hearth_model::Path::new(0, 9, 1)),
        Some(hearth_model::Value::Int(7))
    );
    // The report of the change makes it the controller's belief (HRT-CTL-013, HRT-CTL-014).
    let reached = suite
        .await_value(5, (&fan, "0/9/1"), json!(7), 10_000)
        .await;
    assert_eq!(reached["ok"], json!({"reached": true, "value": 7}));
    // A value never reported is not reached; the answer carries what is believed.
    let not = suite.await_value(6, (&fan, "0/9/1"), json!(9), 1).await;
    assert_eq!(not["ok"], json!({"reached": false, "value": 7}));

    let read = suite
        .ask(
            &json!({"id": 7, "op": "read", "device": fan, "paths": ["0/9/1", "0/3/1"]}).to_string(),
        )
        .await;
    assert_eq!(
        read["ok"]["values"][0],
        json!({"path": "0/9/1", "status": "success", "value": 7})
    );
    let invoked = suite
        .ask(&json!({"id": 8, "op": "invoke", "device": fan, "path": "0/19/1"}).to_string())
        .await;
    assert_eq!(invoked["ok"]["status"], "success");

    // Errors (HRT-CTL-011, HRT-CTL-012), and the agent keeps serving after each.
    let bad = suite.ask("this is not json").await;
    assert_eq!(
        (bad["id"].clone(), bad["error"]["kind"].clone()),
        (json!(0), json!("bad-request"))
    );
    let unknown_op = suite.ask(r#"{"id":9,"op":"dance"}"#).await;
    assert_eq!(unknown_op["error"]["kind"], "unsupported");
    let stranger = suite
        .ask(r#"{"id":10,"op":"value","device":"fff1/nobody","path":"0/3/1"}"#)
        .await;
    assert_eq!(stranger["error"]["kind"], "unknown-device");
    let long = format!(
        r#"{{"id":11,"op":"hello","pad":"{}"}}"#,
        "x".repeat(MAX_LINE)
    );
    let too_long = suite.ask(&long).await;
    assert_eq!(too_long["error"]["kind"], "bad-request");
    let still = suite.ask(r#"{"id":12,"op":"hello"}"#).await;
    assert_eq!(still["id"], 12);

    let stop = suite.ask(r#"{"id":13,"op":"stop"}"#).await;
    assert_eq!(stop, json!({"id": 13, "ok": {}}));
    served
        .await
        .expect("the agent task")
        .expect("the agent ends without an I/O error");
}
