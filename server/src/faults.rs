//! Fault rules: matched in order, first match wins, each with an optional budget.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    Status {
        status: u16,
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    Reset {
        #[serde(default)]
        after_bytes: u64,
        /// Half-close (FIN) before the RST, as a peer process that exits does while the
        /// client is still sending: the client's socket is then in CLOSE_WAIT, and its next
        /// write fails with EPIPE (raising SIGPIPE) instead of ECONNRESET.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        fin_first: bool,
    },
    Stall {
        ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_bytes: Option<u64>,
    },
    BadCrc,
    /// Carry the request out, then reset the connection instead of answering: a reply lost
    /// on the way back.
    DropReply,
    /// Send the response head and `after_bytes` of its body, then reset the connection (RST):
    /// a download cut by the network.
    ResetResponse {
        after_bytes: u64,
    },
    /// Pause `ms` once `after_bytes` of the response body have gone out, then go on.
    StallResponse {
        ms: u64,
        after_bytes: u64,
    },
    /// Promise the whole body in Content-Length, send `after_bytes` of it, then close the
    /// connection (FIN): a body that ends short without a network error.
    TruncateResponse {
        after_bytes: u64,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Status { .. } => "status",
            Action::Reset { .. } => "reset",
            Action::Stall { .. } => "stall",
            Action::BadCrc => "bad_crc",
            Action::DropReply => "drop_reply",
            Action::ResetResponse { .. } => "reset_response",
            Action::StallResponse { .. } => "stall_response",
            Action::TruncateResponse { .. } => "truncate_response",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_number: Option<u32>,
    /// Remaining firings; `None` fires forever.
    #[serde(default)]
    pub times: Option<u64>,
    pub action: Action,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(Box<Rule>),
    Many(Vec<Rule>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<Rule> {
        match self {
            OneOrMany::One(r) => vec![*r],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Default)]
pub struct Faults {
    inner: Mutex<(u64, Vec<Rule>)>,
}

impl Faults {
    pub fn add(&self, rules: Vec<Rule>) -> Vec<u64> {
        let mut g = self.inner.lock().unwrap();
        let mut ids = Vec::new();
        for mut r in rules {
            g.0 += 1;
            r.id = Some(g.0);
            ids.push(g.0);
            g.1.push(r);
        }
        ids
    }

    pub fn list(&self) -> Vec<Rule> {
        self.inner.lock().unwrap().1.clone()
    }

    pub fn clear(&self) {
        self.inner.lock().unwrap().1.clear();
    }

    /// Consumes one firing of the first matching rule; exhausted rules are dropped.
    pub fn take(&self, op: &str, key: Option<&str>, part: Option<u32>) -> Option<Action> {
        let mut g = self.inner.lock().unwrap();
        let idx = g.1.iter().position(|r| {
            r.op.as_deref().is_none_or(|o| o == op)
                && r.key.as_deref().is_none_or(|k| Some(k) == key)
                && r.part_number.is_none_or(|p| Some(p) == part)
                && r.times != Some(0)
        })?;
        let rule = &mut g.1[idx];
        let action = rule.action.clone();
        if let Some(t) = rule.times.as_mut() {
            *t -= 1;
            if *t == 0 {
                g.1.remove(idx);
            }
        }
        Some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_count() {
        let f = Faults::default();
        let rules: OneOrMany = serde_json::from_str(
            r#"[{"op":"UploadPart","part_number":2,"times":1,"action":{"kind":"status","status":500,"code":"InternalError"}},
                {"action":{"kind":"bad_crc"}}]"#,
        )
        .unwrap();
        assert_eq!(f.add(rules.into_vec()), vec![1, 2]);
        assert_eq!(
            f.take("UploadPart", Some("k"), Some(1)),
            Some(Action::BadCrc)
        );
        assert!(matches!(
            f.take("UploadPart", Some("k"), Some(2)),
            Some(Action::Status { status: 500, .. })
        ));
        assert_eq!(
            f.take("UploadPart", Some("k"), Some(2)),
            Some(Action::BadCrc)
        );
        assert_eq!(f.list().len(), 1);
        let one: OneOrMany =
            serde_json::from_str(r#"{"action":{"kind":"reset","after_bytes":10}}"#).unwrap();
        assert_eq!(one.into_vec().len(), 1);
        let body_faults: OneOrMany = serde_json::from_str(
            r#"[{"op":"GetObject","action":{"kind":"reset_response","after_bytes":5}},
                {"action":{"kind":"stall_response","ms":9,"after_bytes":5}},
                {"action":{"kind":"truncate_response","after_bytes":0}}]"#,
        )
        .unwrap();
        let names: Vec<_> = body_faults
            .into_vec()
            .iter()
            .map(|r| r.action.name())
            .collect();
        assert_eq!(
            names,
            ["reset_response", "stall_response", "truncate_response"]
        );
    }
}
