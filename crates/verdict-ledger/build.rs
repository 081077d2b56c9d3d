//! `sqlx::migrate!` embeds `migrations/` when the crate compiles; cargo does
//! not know that, so without this a new migration file is left out of
//! builds until something else in the crate changes.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
