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
}
