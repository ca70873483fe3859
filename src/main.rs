//! The `lianjian` binary: everything lives in the `lianjian-api` crate.

fn main() -> std::process::ExitCode {
    lianjian_api::cli::run()
}
