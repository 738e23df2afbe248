//! Shell completions and the man page, generated from the flag definitions.

use crate::support::{root, run, sidecarctl};

#[test]
fn bash_completion_completes_commands_and_flags() {
    let r = run(sidecarctl(&root()).args(["completions", "bash"]));
    r.assert_code(0);
    let dir = crate::support::TempDir::new("completions");
    let script = dir.write("sidecarctl.bash", &r.stdout);
    // Load it into bash and ask it what `sidecarctl de<TAB>` and
    // `sidecarctl deploy --dry<TAB>` complete to.
    let probe = format!(
        r#"source '{}'
complete -p sidecarctl >/dev/null || exit 9
ask() {{ COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}; COMPREPLY=(); _sidecarctl sidecarctl "${{@: -1}}" "${{@: -2:1}}"; echo "${{COMPREPLY[*]}}"; }}
ask sidecarctl de
ask sidecarctl deploy --dry"#,
        script.display()
    );
    let r = run(std::process::Command::new("bash").args(["--norc", "-c", &probe]));
    r.assert_code(0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].split(' ').any(|w| w == "deploy"), "{}", r.stdout);
    assert!(
        lines[1].split(' ').any(|w| w == "--dry-run"),
        "{}",
        r.stdout
    );
}

#[test]
fn every_shell_gets_a_script() {
    for (shell, mark) in [
        ("zsh", "#compdef sidecarctl"),
        ("fish", "complete -c sidecarctl"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = run(sidecarctl(&root()).args(["completions", shell]));
        r.assert_code(0);
        assert!(r.stdout.contains(mark), "{shell}: {}", r.stdout);
    }
}

#[test]
fn the_man_page_is_generated_from_the_flags() {
    let r = run(sidecarctl(&root()).arg("man"));
    r.assert_code(0);
    for s in [
        ".TH sidecarctl",
        "deploy",
        "\\-\\-endpoint\\-url",
        "completions",
    ] {
        assert!(r.stdout.contains(s), "{s} missing from the man page");
    }
}
