//! MetaGPT: a team's serialized `team.json` and the loguru log; the `Message` mapping they share is in
//! [`crate::ingest::common::metagpt`].

pub mod metagpt_log;
pub mod metagpt_team;
