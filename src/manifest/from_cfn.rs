//! `from_cfn: EXPORT_NAME`: a value that is a CloudFormation export.
//!
//! Decoding keeps the place of each one as a readable placeholder,
//! `{from_cfn: NAME}` (what `validate` and `render` show, without AWS); a
//! deploy reads the exports (ListExports, once) and puts each value in its
//! place ([`Service::resolve_exports`]) before anything else is resolved.
//! Copilot accepts `from_cfn` in `variables`, `secrets`, `logging`'s and the
//! sidecars' variables, secrets and `secretOptions`,
//! `network.vpc.security_groups`, and `storage.volumes.*.efs.id`.

use std::collections::BTreeMap;

use super::{At, SecretRef, Service};

const OPEN: &str = "{from_cfn: ";

/// The placeholder for an export.
pub fn placeholder(export: &str) -> String {
    format!("{OPEN}{export}}}")
}

/// The export a placeholder stands for.
pub fn export_of(value: &str) -> Option<&str> {
    value.strip_prefix(OPEN)?.strip_suffix('}')
}

/// An export the manifest uses, where it is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportUse {
    pub export: String,
    pub pos: crate::yaml::Pos,
    pub path: String,
}

enum Slot<'a> {
    Plain(&'a mut At<String>),
    Secret(&'a mut At<SecretRef>),
}

impl Service {
    /// Every `from_cfn` of the manifest, in order.
    pub fn export_uses(&self) -> Vec<ExportUse> {
        let mut copy = self.clone();
        copy.slots()
            .into_iter()
            .filter_map(|s| {
                let (value, pos, path) = match s {
                    Slot::Plain(a) => (a.value.clone(), a.pos, a.path.clone()),
                    Slot::Secret(a) => match &a.value {
                        SecretRef::SsmName(n) => (n.clone(), a.pos, a.path.clone()),
                        _ => return None,
                    },
                };
                export_of(&value).map(|e| ExportUse {
                    export: e.to_string(),
                    pos,
                    path,
                })
            })
            .collect()
    }

    /// Puts each export's value in its place; returns the uses whose export
    /// `exports` does not have (their placeholders stay).
    pub fn resolve_exports(&mut self, exports: &BTreeMap<String, String>) -> Vec<ExportUse> {
        let mut missing = Vec::new();
        for slot in self.slots() {
            match slot {
                Slot::Plain(a) => {
                    if let Some(e) = export_of(&a.value).map(str::to_string) {
                        match exports.get(&e) {
                            Some(v) => a.value = v.clone(),
                            None => missing.push(ExportUse {
                                export: e,
                                pos: a.pos,
                                path: a.path.clone(),
                            }),
                        }
                    }
                }
                Slot::Secret(a) => {
                    let SecretRef::SsmName(n) = &a.value else {
                        continue;
                    };
                    if let Some(e) = export_of(n).map(str::to_string) {
                        match exports.get(&e) {
                            // As Copilot: the export is the secret's ARN or
                            // the SSM parameter's name.
                            Some(v) if v.starts_with("arn:") => a.value = SecretRef::Arn(v.clone()),
                            Some(v) => a.value = SecretRef::SsmName(v.clone()),
                            None => missing.push(ExportUse {
                                export: e,
                                pos: a.pos,
                                path: a.path.clone(),
                            }),
                        }
                    }
                }
            }
        }
        missing
    }

    fn slots(&mut self) -> Vec<Slot<'_>> {
        let mut out: Vec<Slot<'_>> = Vec::new();
        out.extend(self.variables.values_mut().map(Slot::Plain));
        out.extend(self.secrets.values_mut().map(Slot::Secret));
        for sc in self.sidecars.values_mut() {
            out.extend(sc.variables.values_mut().map(Slot::Plain));
            out.extend(sc.secrets.values_mut().map(Slot::Secret));
        }
        if let Some(l) = &mut self.logging {
            out.extend(l.variables.values_mut().map(Slot::Plain));
            out.extend(l.secrets.values_mut().map(Slot::Secret));
            out.extend(l.secret_options.values_mut().map(Slot::Secret));
        }
        out.extend(self.network.security_groups.iter_mut().map(Slot::Plain));
        for v in self.storage.volumes.values_mut() {
            if let Some(id) = v.efs.as_mut().and_then(|e| e.id.as_mut()) {
                out.push(Slot::Plain(id));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::service_in;

    const MANIFEST: &str = "name: api\ntype: Backend Service\nimage:\n  location: nginx:1\n\
variables:\n  QUEUE: {from_cfn: shop-prod-QueueURL}\n  PLAIN: x\n\
secrets:\n  DB: {from_cfn: shop-prod-DbSecretArn}\n  TOKEN: {from_cfn: shop-prod-TokenParam}\n\
network:\n  vpc:\n    security_groups: [{from_cfn: shop-prod-SG}]\n\
storage:\n  volumes:\n    data:\n      path: /data\n      efs:\n        id: {from_cfn: shop-prod-FS}\n\
sidecars:\n  proxy:\n    image: nginx:1\n    variables:\n      UP: {from_cfn: shop-prod-Up}\n";

    #[test]
    fn every_place_copilot_takes_from_cfn_is_found_and_filled() {
        let mut svc = service_in(MANIFEST, Some("prod"));
        let uses: Vec<(String, String)> = svc
            .export_uses()
            .into_iter()
            .map(|u| (u.path, u.export))
            .collect();
        assert_eq!(uses.len(), 6, "{uses:?}");
        assert!(uses.contains(&("variables.QUEUE".into(), "shop-prod-QueueURL".into())));
        assert!(uses.contains(&("sidecars.proxy.variables.UP".into(), "shop-prod-Up".into())));
        assert_eq!(
            svc.variables["QUEUE"].value,
            "{from_cfn: shop-prod-QueueURL}"
        );
        let exports: BTreeMap<String, String> = [
            ("shop-prod-QueueURL", "https://sqs.example/q"),
            (
                "shop-prod-DbSecretArn",
                "arn:aws:secretsmanager:us-east-1:1:secret:db-AbC",
            ),
            ("shop-prod-TokenParam", "/shop/prod/token"),
            ("shop-prod-SG", "sg-0123"),
            ("shop-prod-Up", "http://up"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let missing = svc.resolve_exports(&exports);
        assert_eq!(
            missing
                .iter()
                .map(|m| (m.path.as_str(), m.export.as_str()))
                .collect::<Vec<_>>(),
            [("storage.volumes.data.efs.id", "shop-prod-FS")]
        );
        assert_eq!(svc.variables["QUEUE"].value, "https://sqs.example/q");
        assert_eq!(svc.variables["PLAIN"].value, "x");
        assert_eq!(
            svc.secrets["DB"].value,
            SecretRef::Arn("arn:aws:secretsmanager:us-east-1:1:secret:db-AbC".into())
        );
        assert_eq!(
            svc.secrets["TOKEN"].value,
            SecretRef::SsmName("/shop/prod/token".into())
        );
        assert_eq!(svc.network.security_groups[0].value, "sg-0123");
        assert_eq!(svc.sidecars["proxy"].variables["UP"].value, "http://up");
    }

    #[test]
    fn placeholders_round_trip() {
        assert_eq!(export_of(&placeholder("a-b")), Some("a-b"));
        assert_eq!(export_of("sg-1"), None);
    }
}
