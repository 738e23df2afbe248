//! What ECS itself would refuse at RegisterTaskDefinition, checked before any
//! AWS call: the number of containers, the names it restricts (containers,
//! volumes, environment variables), absolute mount paths, and a variable and a
//! secret of one container under the same name.

use std::collections::BTreeMap;

use super::Check;
use crate::manifest::{At, SecretRef, Service, Vars};

/// Containers per task definition (an ECS quota that cannot be raised).
pub const MAX_CONTAINERS: usize = 10;

/// Names ECS takes for containers and volumes.
const MAX_NAME: usize = 255;

/// Letters, digits, '-' and '_' only: what ECS takes in names.
pub fn name_chars_ok(n: &str) -> bool {
    n.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// What is wrong with a part of the task definition family
/// `{app}-{env}-{svc}` (`what`: "environment", say), if anything: the family,
/// the roles and the log group are named after it, so it takes what family
/// names take (letters, digits, '-' and '_').
pub fn name_part_problem(what: &str, name: &str) -> Option<String> {
    (name.is_empty() || !name_chars_ok(name))
        .then(|| format!("{what} name {name:?} can only contain letters, digits, '-' and '_'"))
}

/// The task definition family, when it is longer than ECS takes.
pub fn family_problem(family: &str) -> Option<String> {
    let n = family.chars().count();
    (n > MAX_NAME).then(|| {
        format!("the task definition family {family} is {n} characters long; ECS takes at most {MAX_NAME}")
    })
}

pub fn container_count(svc: &Service, v: &mut Check) {
    let n = svc.container_names().len();
    if n > MAX_CONTAINERS {
        let extra = svc
            .sidecars
            .values()
            .nth(MAX_CONTAINERS.saturating_sub(n - svc.sidecars.len()));
        let (pos, path) = extra.map_or((svc.name.pos, "sidecars".to_string()), |s| {
            (s.name.pos, s.name.path.clone())
        });
        v.error(
            "too-many-containers",
            format!("the task would have {n} containers; ECS takes at most {MAX_CONTAINERS} per task definition"),
            pos,
            &path,
        )
        .help = Some("the main container, the FireLens router and the sidecars count; merge or drop sidecars".into());
    }
}

pub fn names(svc: &Service, v: &mut Check) {
    let mut containers: Vec<(&str, &At<String>, &str)> =
        vec![(&svc.name.value, &svc.name, "service name")];
    containers.extend(
        svc.sidecars
            .iter()
            .map(|(n, s)| (n.as_str(), &s.name, "container name")),
    );
    for (name, at, what) in containers {
        if name.chars().count() > MAX_NAME {
            v.error_at(
                "bad-name",
                format!(
                    "{what} is {} characters long; ECS takes at most {MAX_NAME}",
                    name.chars().count()
                ),
                at,
            );
        } else if name.is_empty() || !name_chars_ok(name) {
            v.error_at(
                "bad-name",
                format!("{what} \"{name}\" can only contain letters, digits, '-' and '_'"),
                at,
            );
        }
    }
    for (name, vol) in &svc.storage.volumes {
        if name.is_empty() || name.chars().count() > MAX_NAME || !name_chars_ok(name) {
            v.error_at(
                "bad-volume-name",
                format!("volume name {name:?} can only contain letters, digits, '-' and '_' (up to {MAX_NAME})"),
                &vol.name,
            )
            .help = Some("ECS refuses other volume names; the name is only used inside the task".into());
        }
    }
}

/// Why an environment variable name is refused, if it is: names are letters,
/// digits, `_`, `.` and `-`, not starting with a digit (what containers, shells
/// and Kubernetes agree on; ECS and Copilot accept anything, even a name that
/// no program can read).
pub fn bad_variable_name(n: &str) -> Option<String> {
    let first = n.chars().next()?;
    if let Some(c) = n
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        let what = match c {
            ' ' => "a space".to_string(),
            '=' => "'='".to_string(),
            c if c.is_ascii_graphic() => format!("'{c}'"),
            c => format!("the invisible or non-ASCII character U+{:04X}", c as u32),
        };
        return Some(format!("it contains {what}"));
    }
    first
        .is_ascii_digit()
        .then(|| "it starts with a digit".to_string())
}

pub fn variable_names(svc: &Service, v: &mut Check) {
    let mut all: Vec<(&Vars, &BTreeMap<String, At<SecretRef>>)> =
        vec![(&svc.variables, &svc.secrets)];
    all.extend(svc.sidecars.values().map(|s| (&s.variables, &s.secrets)));
    if let Some(l) = &svc.logging {
        all.push((&l.variables, &l.secrets));
    }
    for (vars, secrets) in all {
        let names = vars
            .iter()
            .map(|(n, a)| (n, a.pos, &a.path))
            .chain(secrets.iter().map(|(n, a)| (n, a.pos, &a.path)));
        for (name, pos, path) in names {
            let why = if name.is_empty() {
                Some("it is empty".to_string())
            } else {
                bad_variable_name(name)
            };
            if let Some(why) = why {
                v.error(
                    "bad-variable-name",
                    format!("{name:?} is not an environment variable name: {why}"),
                    pos,
                    path,
                )
                .help = Some("use letters, digits, '_', '.' and '-', not starting with a digit, for example LOG_LEVEL".into());
            }
        }
    }
    for sc in svc.sidecars.values() {
        for (name, value) in &sc.variables {
            if sc.secrets.contains_key(name) {
                v.error_at(
                    "duplicate-variable",
                    format!(
                        "\"{name}\" is both a variable and a secret of sidecar \"{}\"",
                        sc.name.value
                    ),
                    value,
                );
            }
        }
    }
    if let Some(l) = &svc.logging {
        for (name, value) in &l.variables {
            if l.secrets.contains_key(name) {
                v.error_at(
                    "duplicate-variable",
                    format!("\"{name}\" is both a variable and a secret of the FireLens router"),
                    value,
                );
            }
        }
    }
}

pub fn mount_paths(svc: &Service, v: &mut Check) {
    let volume_paths = svc.storage.volumes.values().filter_map(|v| v.path.as_ref());
    let sidecar_paths = svc.sidecars.values().flat_map(|s| {
        s.mount_points
            .iter()
            .filter_map(|m| m.container_path.as_ref())
    });
    for p in volume_paths.chain(sidecar_paths) {
        // Paths with characters Copilot refuses are reported as such already.
        if super::valid_path(&p.value) && !p.value.starts_with('/') {
            v.error_at(
                "relative-path",
                format!("mount path \"{}\" is not absolute", p.value),
                p,
            )
            .help = Some(format!(
                "a path inside the container, from its root: /{}",
                p.value
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{bad_variable_name, family_problem, name_part_problem};
    use crate::validate::testing::{BASE, codes};

    fn with(extra: &str) -> Vec<&'static str> {
        codes(&format!("{BASE}{extra}"))
    }

    #[test]
    fn environment_names_take_what_family_names_take() {
        assert_eq!(name_part_problem("environment", "prod-eu_1"), None);
        for bad in ["", "Pr\u{f6}d", "pr od", "a.b", "a/b"] {
            let m = name_part_problem("environment", bad).expect(bad);
            assert!(m.contains("letters, digits, '-' and '_'"), "{m}");
        }
        assert_eq!(family_problem(&"f".repeat(255)), None);
        let m = family_problem(&"f".repeat(256)).expect("too long");
        assert!(
            m.contains("256 characters long; ECS takes at most 255"),
            "{m}"
        );
    }

    #[test]
    fn at_most_ten_containers() {
        let sidecars: String = (0..9)
            .map(|i| format!("  s{i}:\n    image: busybox\n"))
            .collect();
        assert!(
            with(&format!("sidecars:\n{sidecars}")).is_empty(),
            "ten is fine"
        );
        let more = format!("sidecars:\n{sidecars}  s9:\n    image: busybox\n");
        assert_eq!(with(&more), ["too-many-containers"]);
    }

    #[test]
    fn names_ecs_restricts() {
        let long = "a".repeat(300);
        assert_eq!(
            with(&format!("sidecars:\n  {long}:\n    image: busybox\n")),
            ["bad-name"]
        );
        assert_eq!(
            with("storage:\n  volumes:\n    my volume:\n      path: /data\n"),
            ["bad-volume-name"]
        );
    }

    #[test]
    fn environment_variable_names() {
        for bad in ["A B", "1BAD", "A=B", "\u{200B}TOKEN", "naïve"] {
            assert!(bad_variable_name(bad).is_some(), "{bad}");
        }
        for ok in [
            "LOG_LEVEL",
            "_x",
            "spring.datasource.url",
            "JAVA-OPTS",
            "a1",
        ] {
            assert_eq!(bad_variable_name(ok), None, "{ok}");
        }
        assert_eq!(with("variables:\n  '': x\n"), ["bad-variable-name"]);
        assert_eq!(with("variables:\n  A B: x\n"), ["bad-variable-name"]);
        assert_eq!(
            with("sidecars:\n  s:\n    image: busybox\n    secrets:\n      1BAD: /p\n"),
            ["bad-variable-name"]
        );
    }

    #[test]
    fn a_sidecar_cannot_have_a_variable_and_a_secret_of_one_name() {
        assert_eq!(
            with(
                "sidecars:\n  s:\n    image: busybox\n    variables: {TOKEN: x}\n    secrets: {TOKEN: /p}\n"
            ),
            ["duplicate-variable"]
        );
    }

    #[test]
    fn mount_paths_are_absolute() {
        assert_eq!(
            with(
                "storage:\n  volumes:\n    data:\n      path: /data\nsidecars:\n  s:\n    image: busybox\n    mount_points:\n      - source_volume: data\n        path: relative/dir\n"
            ),
            ["relative-path"]
        );
        assert_eq!(
            with("storage:\n  volumes:\n    data:\n      path: data\n"),
            ["relative-path"]
        );
    }
}
