//! The `lianjian` binary: everything lives in the `lianjian-api` crate.

/// mimalloc instead of the system allocator: a GraphQL response is built from many small
/// allocations (names, values, strings), which glibc's malloc serves markedly slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    lianjian_api::cli::run()
}
