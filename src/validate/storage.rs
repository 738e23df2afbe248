//! Rules about `storage.volumes` (EFS) and the sidecars' `mount_points`.

use super::{Check, valid_path};
use crate::manifest::Service;
use crate::manifest::from_cfn::export_of;

fn valid_fs_id(s: &str) -> bool {
    s.strip_prefix("fs-")
        .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}

fn valid_ap_id(s: &str) -> bool {
    s.strip_prefix("fsap-")
        .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn volumes(svc: &Service, v: &mut Check) {
    let mut managed_seen = false;
    for vol in svc.storage.volumes.values() {
        match &vol.path {
            None => {
                v.error(
                    "missing-field",
                    "\"path\" must be specified",
                    vol.name.pos,
                    &format!("{}.path", vol.name.path),
                );
            }
            Some(p) if !valid_path(&p.value) => {
                v.error_at(
                    "bad-path",
                    "path can only contain the characters a-zA-Z0-9.-_/",
                    p,
                );
            }
            _ => {}
        }
        let Some(efs) = &vol.efs else { continue };
        if svc.is_windows() {
            v.error(
                "windows-efs",
                "EFS volumes are not supported for Windows containers",
                efs.pos,
                &efs.path,
            );
        }
        if efs.managed {
            // As Copilot validates a managed volume.
            if managed_seen {
                v.error(
                    "bad-efs",
                    "only one volume may use the managed file system (efs: true)",
                    efs.pos,
                    &efs.path,
                );
            }
            managed_seen = true;
            match (&efs.uid, &efs.gid) {
                (Some(_), None) | (None, Some(_)) => {
                    v.error(
                        "bad-efs",
                        "\"uid\" and \"gid\" must be given together",
                        efs.pos,
                        &efs.path,
                    );
                }
                (Some(u), Some(_)) if u.value == 0 => {
                    v.error_at("bad-efs", "\"uid\" must not be 0 (root)", u);
                }
                _ => {}
            }
            continue;
        }
        match &efs.id {
            None => {
                v.error(
                    "missing-field",
                    "\"efs.id\" must be specified",
                    efs.pos,
                    &format!("{}.id", efs.path),
                );
            }
            Some(id) if !valid_fs_id(&id.value) && export_of(&id.value).is_none() => {
                v.error_at(
                    "bad-efs-id",
                    format!("\"{}\" is not an EFS file system id", id.value),
                    id,
                )
                .help = Some("file system ids look like fs-0123456789abcdef0".into());
            }
            _ => {}
        }
        if let Some(root) = &efs.root_dir
            && !valid_path(&root.value)
        {
            v.error_at(
                "bad-path",
                "root_dir can only contain the characters a-zA-Z0-9.-_/",
                root,
            );
        }
        if let Some(ap) = &efs.access_point_id {
            if !valid_ap_id(&ap.value) {
                v.error_at(
                    "bad-efs-id",
                    format!("\"{}\" is not an EFS access point id", ap.value),
                    ap,
                )
                .help = Some("access point ids look like fsap-0123456789abcdef0".into());
            }
            let root_ok = efs
                .root_dir
                .as_ref()
                .is_none_or(|r| r.value.is_empty() || r.value == "/");
            if !root_ok || !efs.iam() {
                v.error_at("efs-access-point", "root_dir must be either empty or \"/\" and \"auth.iam\" must be true when \"access_point_id\" is used", ap)
                    .help = Some("the access point sets the root directory; ECS mounts it with IAM authorization".into());
            }
        }
    }
}

pub fn mount_points(svc: &Service, v: &mut Check) {
    for sc in svc.sidecars.values() {
        for mp in &sc.mount_points {
            match &mp.source_volume {
                None => {
                    v.error(
                        "missing-field",
                        "\"source_volume\" must be specified",
                        mp.pos,
                        &format!("{}.source_volume", mp.path),
                    );
                }
                Some(src) if !svc.storage.volumes.contains_key(&src.value) => {
                    let names = svc.storage.volumes.keys().map(String::as_str);
                    let d = v.error_at(
                        "unknown-volume",
                        format!(
                            "volume \"{}\" is not declared in storage.volumes",
                            src.value
                        ),
                        src,
                    );
                    d.help = Some(match crate::diag::did_you_mean(&src.value, names) {
                        Some(s) => format!("did you mean \"{s}\"?"),
                        None => "declare it under storage.volumes".into(),
                    });
                }
                _ => {}
            }
            match &mp.container_path {
                None => {
                    v.error(
                        "missing-field",
                        "\"path\" must be specified",
                        mp.pos,
                        &format!("{}.path", mp.path),
                    );
                }
                Some(p) if !valid_path(&p.value) => {
                    v.error_at(
                        "bad-path",
                        "path can only contain the characters a-zA-Z0-9.-_/",
                        p,
                    );
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::testing::{BASE, codes};

    fn with(extra: &str) -> Vec<&'static str> {
        codes(&format!("{BASE}{extra}"))
    }

    const VOL: &str =
        "storage:\n  volumes:\n    data:\n      path: /data\n      efs:\n        id: fs-1234567\n";

    #[test]
    fn volumes_need_a_valid_path() {
        assert!(with(VOL).is_empty());
        assert_eq!(
            with("storage:\n  volumes:\n    data:\n      efs: {id: fs-1234567}\n"),
            ["missing-field"]
        );
        assert_eq!(
            with("storage:\n  volumes:\n    data:\n      path: '/da ta'\n"),
            ["bad-path"]
        );
    }

    #[test]
    fn efs_ids_are_checked() {
        assert_eq!(
            with("storage:\n  volumes:\n    data:\n      path: /d\n      efs: {id: nfs-share}\n"),
            ["bad-efs-id"]
        );
        assert_eq!(
            with("storage:\n  volumes:\n    data:\n      path: /d\n      efs: {root_dir: /x}\n"),
            ["missing-field"]
        );
    }

    #[test]
    fn one_managed_volume_with_a_whole_non_root_posix_user() {
        assert!(
            with("storage:\n  volumes:\n    data:\n      path: /d\n      efs: true\n").is_empty()
        );
        assert!(with("storage:\n  volumes:\n    data:\n      path: /d\n      efs: {uid: 1000, gid: 1000}\n").is_empty());
        assert_eq!(
            with(
                "storage:\n  volumes:\n    a:\n      path: /a\n      efs: true\n    b:\n      path: /b\n      efs: true\n"
            ),
            ["bad-efs"]
        );
        assert_eq!(
            with("storage:\n  volumes:\n    data:\n      path: /d\n      efs: {uid: 1000}\n"),
            ["bad-efs"]
        );
        assert_eq!(
            with("storage:\n  volumes:\n    data:\n      path: /d\n      efs: {uid: 0, gid: 0}\n"),
            ["bad-efs"]
        );
    }

    #[test]
    fn access_points_need_iam_and_no_root_dir() {
        let ok = "storage:\n  volumes:\n    data:\n      path: /d\n      efs:\n        id: fs-1234567\n        auth: {iam: true, access_point_id: fsap-1234567}\n";
        assert!(with(ok).is_empty());
        let bad = "storage:\n  volumes:\n    data:\n      path: /d\n      efs:\n        id: fs-1234567\n        root_dir: /x\n        auth: {access_point_id: fsap-1234567}\n";
        assert_eq!(with(bad), ["efs-access-point"]);
    }

    #[test]
    fn mount_points_need_a_declared_volume_and_a_path() {
        let ok = format!(
            "{VOL}sidecars:\n  s:\n    image: x\n    mount_points:\n      - source_volume: data\n        path: /data\n"
        );
        assert!(with(&ok).is_empty());
        let undeclared = format!(
            "{VOL}sidecars:\n  s:\n    image: x\n    mount_points:\n      - source_volume: dta\n        path: /data\n"
        );
        assert_eq!(with(&undeclared), ["unknown-volume"]);
        let no_source =
            format!("{VOL}sidecars:\n  s:\n    image: x\n    mount_points:\n      - path: /data\n");
        assert_eq!(with(&no_source), ["missing-field"]);
        let no_path = format!(
            "{VOL}sidecars:\n  s:\n    image: x\n    mount_points:\n      - source_volume: data\n"
        );
        assert_eq!(with(&no_path), ["missing-field"]);
        let bad_path = format!(
            "{VOL}sidecars:\n  s:\n    image: x\n    mount_points:\n      - source_volume: data\n        path: 'C:\\data'\n"
        );
        assert_eq!(with(&bad_path), ["bad-path"]);
    }
}
