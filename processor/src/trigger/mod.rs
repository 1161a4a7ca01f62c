//! Triggers: turn a protocol's requests into [`Event`](crate::event::Event)s for the worker
//! pool and its responses back. One file per kind.

pub mod http;
