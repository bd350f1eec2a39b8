//! End-to-end tests across processes live in `tests/`; this library holds their harness.
