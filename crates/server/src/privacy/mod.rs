//! Typing patterns and what surrounds them are personal (biometric) data: a tenant's back end
//! can export and erase everything stored about one of its users ([`routes`]), data unused or
//! expired goes by the tenant's settings ([`retention`]), and what is done with the data is on
//! record ([`audit`]).

pub mod audit;
pub mod retention;
pub mod routes;
