//! The case list's data model (`tests/conformance/cases.yaml`) and the checks of one
//! response against a case's expectations.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;

/// The whole case file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Suite {
    pub(crate) cases: Vec<Case>,
}

/// One behaviour every runtime must show.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Case {
    pub(crate) id: String,
    pub(crate) description: String,
    pub(crate) steps: Vec<Step>,
    /// Runtimes the case cannot apply to, with the reason.
    #[serde(default)]
    pub(crate) not_for: BTreeMap<String, String>,
}

/// One request (or a burst of them) and what each response must be.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    pub(crate) request: RequestSpec,
    #[serde(default = "one")]
    pub(crate) repeat: u32,
    #[serde(default = "one")]
    pub(crate) parallel: u32,
    /// Keep re-sending for this many seconds until the expectation holds.
    #[serde(default)]
    pub(crate) retry_for: Option<f64>,
    pub(crate) expect: Expect,
}

fn one() -> u32 {
    1
}

/// What to send.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequestSpec {
    #[serde(default = "get")]
    pub(crate) method: String,
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) query: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) body: Option<String>,
    #[serde(default)]
    pub(crate) body_random: Option<usize>,
}

fn get() -> String {
    "GET".into()
}

/// What every response of a step must be.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expect {
    #[serde(default)]
    pub(crate) status: Option<u16>,
    #[serde(default)]
    pub(crate) status_class: Option<u16>,
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) body: Option<String>,
    #[serde(default)]
    pub(crate) body_hex: Option<String>,
    #[serde(default)]
    pub(crate) body_json: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) json_fields: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub(crate) body_contains: Vec<String>,
    #[serde(default)]
    pub(crate) body_echo: bool,
    #[serde(default)]
    pub(crate) seconds: Option<Bounds>,
    #[serde(default)]
    pub(crate) distinct: Option<Distinct>,
    #[serde(default)]
    pub(crate) counter: Option<Counter>,
    #[serde(default)]
    pub(crate) log_contains: Vec<String>,
}

/// A time window in seconds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Bounds {
    pub(crate) min: f64,
    pub(crate) max: f64,
}

/// `field` takes exactly `count` values across a step's responses.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Distinct {
    pub(crate) field: String,
    pub(crate) count: usize,
}

/// Per `group_by`, `field` increases from one response to the next.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Counter {
    pub(crate) group_by: String,
    pub(crate) field: String,
}

/// One response as the runner saw it.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: hyper::HeaderMap,
    pub(crate) body: Bytes,
}

impl Expect {
    /// Checks one response; `sent` is the request body.
    pub(crate) fn check_reply(&self, sent: &Bytes, reply: &Reply) -> Result<(), String> {
        if let Some(status) = self.status {
            if reply.status != status {
                return Err(format!("expected status {status}, got {}", reply.status));
            }
        }
        if let Some(class) = self.status_class {
            if reply.status / 100 != class {
                return Err(format!("expected a {class}xx status, got {}", reply.status));
            }
        }
        for (name, prefix) in &self.headers {
            let value = reply
                .headers
                .get(name.as_str())
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            match value {
                Some(value) if value.starts_with(prefix.as_str()) => {}
                Some(value) => {
                    return Err(format!(
                        "header {name}: expected {prefix:?}…, got {value:?}"
                    ))
                }
                None => return Err(format!("header {name}: expected {prefix:?}…, got none")),
            }
        }
        if let Some(body) = &self.body {
            if reply.body != body.as_bytes() {
                return Err(format!(
                    "expected body {body:?}, got {}",
                    preview(&reply.body)
                ));
            }
        }
        if let Some(hex) = &self.body_hex {
            let got: String = reply.body.iter().map(|b| format!("{b:02x}")).collect();
            if &got != hex {
                return Err(format!("expected body bytes {hex}, got {got}"));
            }
        }
        if let Some(want) = &self.body_json {
            let got = json_body(reply)?;
            if &got != want {
                return Err(format!("expected JSON {want}, got {got}"));
            }
        }
        if !self.json_fields.is_empty() {
            let got = json_body(reply)?;
            for (field, want) in &self.json_fields {
                if got.get(field) != Some(want) {
                    return Err(format!(
                        "expected JSON field {field} = {want}, got body {got}"
                    ));
                }
            }
        }
        for needle in &self.body_contains {
            if !String::from_utf8_lossy(&reply.body).contains(needle.as_str()) {
                return Err(format!(
                    "expected the body to contain {needle:?}, got {}",
                    preview(&reply.body)
                ));
            }
        }
        if self.body_echo && reply.body != *sent {
            let first_difference = sent.iter().zip(reply.body.iter()).position(|(a, b)| a != b);
            return Err(format!(
                "echo differs: sent {} bytes, got {} bytes, first difference at {:?}",
                sent.len(),
                reply.body.len(),
                first_difference
            ));
        }
        Ok(())
    }

    /// Checks what concerns a whole step: its duration and its responses together.
    pub(crate) fn check_step(&self, elapsed: Duration, replies: &[Reply]) -> Result<(), String> {
        if let Some(bounds) = &self.seconds {
            let seconds = elapsed.as_secs_f64();
            if seconds < bounds.min || seconds > bounds.max {
                return Err(format!(
                    "expected the step to take {}–{} s, it took {seconds:.2} s",
                    bounds.min, bounds.max
                ));
            }
        }
        if let Some(distinct) = &self.distinct {
            let mut values = BTreeSet::new();
            for reply in replies {
                values.insert(
                    json_body(reply)?
                        .get(&distinct.field)
                        .cloned()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            if values.len() != distinct.count {
                return Err(format!(
                    "expected {} different values of {}, got {values:?}",
                    distinct.count, distinct.field
                ));
            }
        }
        if let Some(counter) = &self.counter {
            let mut last: BTreeMap<String, f64> = BTreeMap::new();
            let mut increments = 0;
            for reply in replies {
                let body = json_body(reply)?;
                let group = body
                    .get(&counter.group_by)
                    .cloned()
                    .unwrap_or_default()
                    .to_string();
                let value = body
                    .get(&counter.field)
                    .and_then(serde_json::Value::as_f64)
                    .ok_or_else(|| {
                        format!("expected a number in field {}, got {body}", counter.field)
                    })?;
                if let Some(previous) = last.insert(group.clone(), value) {
                    if value <= previous {
                        return Err(format!(
                            "{} of {} = {group} went from {previous} to {value}: state was not kept",
                            counter.field, counter.group_by
                        ));
                    }
                    increments += 1;
                }
            }
            if increments == 0 {
                return Err(format!(
                    "no {} served two events, so state could not be checked",
                    counter.group_by
                ));
            }
        }
        Ok(())
    }
}

fn json_body(reply: &Reply) -> Result<serde_json::Value, String> {
    serde_json::from_slice(&reply.body)
        .map_err(|err| format!("expected a JSON body ({err}), got {}", preview(&reply.body)))
}

/// The start of a body, for messages.
pub(crate) fn preview(body: &[u8]) -> String {
    const LIMIT: usize = 300;
    let text = String::from_utf8_lossy(&body[..body.len().min(LIMIT)]).into_owned();
    if body.len() > LIMIT {
        format!("{text:?}… ({} bytes)", body.len())
    } else {
        format!("{text:?}")
    }
}
