fn main() -> std::process::ExitCode {
    sidecarctl::cli::main()
}
