// `sqlx::migrate!` embeds migrations at compile time but cannot tell cargo about a newly
// added file on stable Rust; without this a new migration could be left out of the build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
