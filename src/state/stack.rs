//! CloudFormation stacks as `adopt` and discovery read them.

use std::collections::BTreeMap;

/// A stack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stack {
    pub id: String,
    pub name: String,
    pub status: String,
    pub reason: Option<String>,
    /// When CloudFormation last updated it (RFC 3339), if ever.
    pub last_updated: Option<String>,
    /// Parameter keys (an update passes each at its previous value).
    pub parameters: Vec<String>,
    /// Outputs by key.
    pub outputs: BTreeMap<String, String>,
    /// Export names of its outputs (other stacks may import them).
    pub exports: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// One resource of a stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackResource {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub kind: String,
}

/// One change a change set would make, as CloudFormation describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic`.
    pub action: String,
    pub logical_id: String,
    pub kind: String,
    /// `True`, `False`, `Conditional`; none for an addition.
    pub replacement: Option<String>,
    /// The attributes changed: `Properties`, `Tags`, `DeletionPolicy`, ...
    pub scope: Vec<String>,
    /// Per detail: the attribute it targets and what caused it
    /// (`DirectModification`, `Automatic`, ...).
    pub details: Vec<(Option<String>, Option<String>)>,
}

/// A change set, once CloudFormation has worked it out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub id: String,
    /// `CREATE_COMPLETE`, `FAILED`, ...
    pub status: String,
    pub reason: Option<String>,
    pub changes: Vec<Change>,
}

impl ChangeSet {
    /// CloudFormation's answer when a change set would change nothing.
    pub fn empty(&self) -> bool {
        self.status == "FAILED"
            && self.reason.as_deref().is_some_and(|r| {
                r.contains("didn't contain changes") || r.contains("No updates are to be performed")
            })
    }

    /// What carrying it out would lose: every resource it removes or may
    /// replace, except the markers that hold nothing (wait condition
    /// handles, such as the one `adopt` adds).
    pub fn losses(&self) -> Vec<String> {
        const HOLD_NOTHING: [&str; 2] = [
            "AWS::CloudFormation::WaitConditionHandle",
            "AWS::CloudFormation::WaitCondition",
        ];
        self.changes
            .iter()
            .filter(|c| !HOLD_NOTHING.contains(&c.kind.as_str()))
            .filter_map(|c| {
                let what = match (c.action.as_str(), c.replacement.as_deref()) {
                    ("Remove", _) => "removed",
                    (_, Some("True")) => "replaced",
                    (_, Some("Conditional")) => "replaced, perhaps",
                    _ => return None,
                };
                Some(format!("{} ({}) would be {what}", c.logical_id, c.kind))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: &str, id: &str, kind: &str, replacement: Option<&str>) -> Change {
        Change {
            action: action.into(),
            logical_id: id.into(),
            kind: kind.into(),
            replacement: replacement.map(str::to_string),
            ..Change::default()
        }
    }

    #[test]
    fn a_change_set_loses_what_it_removes_or_may_replace_but_not_a_marker() {
        let set = ChangeSet {
            changes: vec![
                change("Remove", "Table", "AWS::DynamoDB::Table", None),
                change("Modify", "Bucket", "AWS::S3::Bucket", Some("True")),
                change("Modify", "Queue", "AWS::SQS::Queue", Some("Conditional")),
                change("Modify", "Policy", "AWS::IAM::ManagedPolicy", Some("False")),
                change("Add", "Topic", "AWS::SNS::Topic", None),
                change(
                    "Remove",
                    "SidecarctlAdoptRetain",
                    "AWS::CloudFormation::WaitConditionHandle",
                    None,
                ),
            ],
            ..ChangeSet::default()
        };
        assert_eq!(
            set.losses(),
            [
                "Table (AWS::DynamoDB::Table) would be removed",
                "Bucket (AWS::S3::Bucket) would be replaced",
                "Queue (AWS::SQS::Queue) would be replaced, perhaps",
            ]
        );
    }
}
