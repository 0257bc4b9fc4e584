//! The black-box tests of the `isola` binary: each module starts the real
//! binary on loopback ports and talks to it as a client would. The modules
//! are every `tests/*.rs` file and every API folder's `tests.rs`, found by
//! `runtime/build.rs`; nothing lists them by hand.

mod support;

include!(concat!(env!("OUT_DIR"), "/black_box_tests.rs"));

/// Every example under `guests/` is exercised by some test.
#[test]
fn every_example_is_exercised_by_a_test() {
    assert!(
        UNTESTED_EXAMPLES.is_empty(),
        "examples that no test names (see runtime/build.rs): {UNTESTED_EXAMPLES:?}"
    );
}
