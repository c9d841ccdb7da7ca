//! Placeholder replaced below by the real benchmark.
fn main() {}
