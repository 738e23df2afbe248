//! What a build is made of, hashed: the context's files as the builder would
//! send them (after `.dockerignore`, with Docker's rules), the Dockerfile,
//! `args`, `target` and the platform. Two builds with the same hash make the
//! same image, so the second is never run.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// One build, with its paths resolved against the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildSpec {
    /// The container it is for.
    pub container: String,
    pub dockerfile: PathBuf,
    pub context: PathBuf,
    pub target: Option<String>,
    pub args: Vec<(String, String)>,
    pub cache_from: Vec<String>,
    /// `linux/amd64`, `linux/arm64`, ...
    pub platform: String,
}

/// `.dockerignore`'s patterns, in order: a path is excluded when the last
/// pattern that matches it (or one of its parent directories) is not an
/// exception (`!`).
#[derive(Clone, Debug, Default)]
pub struct Ignore {
    patterns: Vec<(bool, Vec<String>)>,
}

impl Ignore {
    pub fn parse(text: &str) -> Ignore {
        let patterns = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (exception, p) = match l.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, l),
                };
                let segments = p
                    .trim_start_matches('/')
                    .split('/')
                    .filter(|s| !s.is_empty() && *s != ".")
                    .map(str::to_string)
                    .collect();
                (exception, segments)
            })
            .filter(|(_, s): &(bool, Vec<String>)| !s.is_empty())
            .collect();
        Ignore { patterns }
    }

    /// Whether `path` (relative, `/`-separated) is left out of the context.
    pub fn excludes(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        let mut excluded = false;
        for (exception, pattern) in &self.patterns {
            let hit = (1..=parts.len()).any(|n| matches(pattern, &parts[..n]));
            if hit {
                excluded = !exception;
            }
        }
        excluded
    }

    /// Whether some exception could bring back a path under an excluded
    /// directory (then the directory is walked, not skipped).
    fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|(e, _)| *e)
    }
}

/// A pattern's segments against a path's: `**` matches any number of
/// segments, the others one each, by [`segment`].
fn matches(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((p, rest)) if p == "**" => (0..=path.len()).any(|i| matches(rest, &path[i..])),
        Some((p, rest)) => match path.split_first() {
            Some((s, tail)) => segment(p.as_bytes(), s.as_bytes()) && matches(rest, tail),
            None => false,
        },
    }
}

/// Go's `filepath.Match` within one segment: `*`, `?`, `[...]` (with `^`
/// or `!` negation and ranges) and `\` escapes.
fn segment(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| segment(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && segment(rest, &s[1..]),
        Some((b'[', rest)) => {
            let Some(end) = rest.iter().position(|&c| c == b']') else {
                return false;
            };
            let Some((&c, tail)) = s.split_first() else {
                return false;
            };
            let (negated, class) = match rest[..end].split_first() {
                Some((b'^' | b'!', class)) => (true, class),
                _ => (false, &rest[..end]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= (class[i]..=class[i + 2]).contains(&c);
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negated && segment(&rest[end + 1..], tail)
        }
        Some((b'\\', rest)) if !rest.is_empty() => {
            s.first() == Some(&rest[0]) && segment(&rest[1..], &s[1..])
        }
        Some((&c, rest)) => s.first() == Some(&c) && segment(rest, &s[1..]),
    }
}

/// The files of the context that the builder would send, relative and
/// sorted.
pub fn context_files(context: &Path, ignore: &Ignore) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut dirs = vec![String::new()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(context.join(&dir))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            let kind = entry.file_type()?;
            let excluded = ignore.excludes(&rel);
            if kind.is_dir() {
                if !excluded || ignore.has_exceptions() {
                    dirs.push(rel);
                }
            } else if !excluded {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The SHA-256 of everything the build is made of, hex.
pub fn inputs_hash(spec: &BuildSpec) -> Result<String, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let ignore = match std::fs::read_to_string(spec.context.join(".dockerignore")) {
        Ok(text) => Ignore::parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ignore::default(),
        Err(e) => return Err(format!("cannot read .dockerignore: {e}")),
    };
    let files = context_files(&spec.context, &ignore)
        .map_err(|e| format!("cannot read the context {}: {e}", spec.context.display()))?;
    let mut h = Sha256::new();
    let mut field = |k: &str, v: &[u8]| {
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_le_bytes());
        h.update(v);
    };
    field("dockerfile", &read(&spec.dockerfile)?);
    field(
        "target",
        spec.target.as_deref().unwrap_or_default().as_bytes(),
    );
    field("platform", spec.platform.as_bytes());
    let mut args = spec.args.clone();
    args.sort();
    for (k, v) in &args {
        field("arg", format!("{k}={v}").as_bytes());
    }
    for rel in files {
        let path = spec.context.join(&rel);
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        field("path", rel.as_bytes());
        if meta.file_type().is_symlink() {
            let to = std::fs::read_link(&path).map_err(|e| e.to_string())?;
            field("link", to.to_string_lossy().as_bytes());
        } else {
            use std::os::unix::fs::PermissionsExt;
            field("mode", &meta.permissions().mode().to_le_bytes());
            field("content", &read(&path)?);
        }
    }
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_follows_dockers_rules() {
        let i = Ignore::parse(
            "# comment\n\n*.md\n!README.md\n/target\nsecrets/**\n**/*.tmp\nlogs/?.log\n[ab]c.txt\n",
        );
        assert!(i.excludes("notes.md"));
        assert!(!i.excludes("README.md"), "an exception brings it back");
        assert!(!i.excludes("docs/notes.md"), "* does not cross directories");
        assert!(i.excludes("target"));
        assert!(
            i.excludes("target/debug/app"),
            "under an excluded directory"
        );
        assert!(i.excludes("secrets/a/b.key"));
        assert!(
            i.excludes("x.tmp") && i.excludes("a/b/c.tmp"),
            "** matches zero or more"
        );
        assert!(i.excludes("logs/1.log") && !i.excludes("logs/10.log"));
        assert!(i.excludes("ac.txt") && i.excludes("bc.txt") && !i.excludes("cc.txt"));
        assert!(!i.excludes("src/main.rs"));
    }

    fn context(files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "sidecarctl-inputs-{}-{}",
            std::process::id(),
            crate::clock::now_ms() as u64 ^ files.len() as u64 ^ rand_of(files)
        ));
        for (rel, text) in files {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    fn rand_of(files: &[(&str, &str)]) -> u64 {
        files
            .iter()
            .flat_map(|(a, b)| a.bytes().chain(b.bytes()))
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
    }

    fn spec(dir: &Path) -> BuildSpec {
        BuildSpec {
            container: "api".into(),
            dockerfile: dir.join("Dockerfile"),
            context: dir.to_path_buf(),
            target: None,
            args: vec![("A".into(), "1".into())],
            cache_from: vec![],
            platform: "linux/amd64".into(),
        }
    }

    #[test]
    fn the_hash_changes_with_what_the_builder_sees_and_nothing_else() {
        let files = [
            ("Dockerfile", "FROM scratch\nCOPY . /\n"),
            ("app.txt", "v1"),
            (".dockerignore", "*.log\n"),
        ];
        let a = context(&files);
        let base = inputs_hash(&spec(&a)).unwrap();
        assert_eq!(base.len(), 64);
        // An ignored file changes nothing.
        std::fs::write(a.join("debug.log"), "noise").unwrap();
        assert_eq!(inputs_hash(&spec(&a)).unwrap(), base);
        // A file in the context does; so do args, target and platform.
        std::fs::write(a.join("app.txt"), "v2").unwrap();
        let changed = inputs_hash(&spec(&a)).unwrap();
        assert_ne!(changed, base);
        let mut s = spec(&a);
        s.args = vec![("A".into(), "2".into())];
        assert_ne!(inputs_hash(&s).unwrap(), changed);
        let mut s = spec(&a);
        s.platform = "linux/arm64".into();
        assert_ne!(inputs_hash(&s).unwrap(), changed);
        let mut s = spec(&a);
        s.target = Some("prod".into());
        assert_ne!(inputs_hash(&s).unwrap(), changed);
        std::fs::remove_dir_all(&a).unwrap();
    }
}
