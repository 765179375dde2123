//! Views of the result model.

pub mod gradescope;
pub mod human;
pub mod junit;
pub mod table;
