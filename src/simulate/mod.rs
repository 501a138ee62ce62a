//! The simulator: trust-parameterized closed-loop chains between a seeker, a custodian and (with the `guardian`
//! defense) a guardian, written in each framework's native format beside a manifest and a ground-truth file.

pub mod chain;
pub mod formats;
