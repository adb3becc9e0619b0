//! Observe: turning what Graph returns into the model, and the model back into what Graph accepts.
//!
//! Pure functions only; the Graph client does the reading.

pub mod rules;
