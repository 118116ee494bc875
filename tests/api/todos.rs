//! The to-do list.
