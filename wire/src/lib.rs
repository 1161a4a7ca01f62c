//! The FlatBuffers tables of ferrite's wire protocol (`schemas/wire.fbs`), as `flatc`
//! generates them; `scripts/gen-wire` rewrites `wire_generated.rs` and
//! `scripts/gen-wire --check` fails when it is stale.
//!
//! This crate is only the generated code. Reading a frame goes through
//! [`root_as_frame_with_opts`] (the verifier) before any accessor touches it.

#[allow(
    unsafe_code,
    unused_imports,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unreachable_pub,
    dead_code,
    clippy::all,
    clippy::pedantic
)]
#[path = "wire_generated.rs"]
mod generated;

pub use flatbuffers;
pub use generated::ferrite::wire::*;
