//! Standard output for commands that print much (the coverage matrix, the catalog, the test
//! plan): written through one lock, and a reader that goes away (`hearth coverage | head`)
//! ends the command quietly instead of failing. `main` recognises [`is_broken_pipe`] and
//! exits 0, as a program whose reader has all it wanted.

use std::io::Write as _;

/// Write `text` to standard output and flush it.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Whether `err` is standard output closed by its reader.
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Make every other write to standard output (a `println!`) whose reader went away end the
/// process quietly too, instead of with a panic message: `println!` panics on such an error.
pub(crate) fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
