//! The harness: what a test case is, the context it runs in, and what runs it.

pub mod authority;
pub mod case;
pub mod lab;
pub mod probe;
pub mod runner;
