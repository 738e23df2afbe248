//! Faults to inject, by operation: throttling, 5xx answers, connections reset
//! before or after the request reaches the emulator, slow answers.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// 400 ThrottlingException (Throttling for IAM and STS).
    Throttle,
    /// 500 InternalFailure.
    Error500,
    /// 503 ServiceUnavailable.
    Error503,
    /// Close the connection without an answer; the emulator never sees the request.
    Reset,
    /// Forward the request, then close the connection: the change is made, the answer lost.
    ResetAfter,
    /// Forward after `delayMs`.
    Slow,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// `ecs:RegisterTaskDefinition`, `ecs:*` or `*`.
    pub op: String,
    pub kind: Kind,
    /// How many matching requests it applies to (then it is spent).
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default)]
    pub delay_ms: u64,
    /// Let this many matching requests through first.
    #[serde(default)]
    pub skip: u32,
}

fn one() -> u32 {
    1
}

impl Rule {
    fn matches(&self, op: &str) -> bool {
        self.op == "*"
            || self.op == op
            || self
                .op
                .strip_suffix(":*")
                .is_some_and(|svc| op.split(':').next() == Some(svc))
    }
}

#[derive(Default)]
pub struct Faults {
    rules: Vec<Rule>,
}

impl Faults {
    pub fn set(&mut self, rules: Vec<Rule>) {
        self.rules = rules;
    }

    /// The fault for this request, if a rule applies (and counts it).
    pub fn take(&mut self, op: &str) -> Option<(Kind, u64)> {
        let rule = self
            .rules
            .iter_mut()
            .find(|r| r.times > 0 && r.matches(op))?;
        if rule.skip > 0 {
            rule.skip -= 1;
            return None;
        }
        rule.times -= 1;
        Some((rule.kind, rule.delay_ms))
    }
}
