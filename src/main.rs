use clap::Parser;

fn main() -> std::process::ExitCode {
    procura::cli::init_logging();
    let cli = procura::cli::Cli::parse();
    match procura::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
