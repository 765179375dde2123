//! Views of the result model.

pub mod human;
