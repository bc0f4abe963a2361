//! Fuzzing the reader path with corrupted copies of real files: every fixture and example
//! workbook, with random bytes changed, inserted or cut, and (for zip packages) with the XML of
//! one part corrupted and the package rebuilt, so the damage reaches the spreadsheet parsers
//! and not only the zip checksum. Whatever the bytes, reading must end in rows or a 4xx, never
//! a panic that escapes and never a 5xx.
//!
//! `cargo test --lib imports::fuzz` runs a short property test. The long run is
//! `PROCURA_FUZZ_SECONDS=600 cargo test --release --lib imports::fuzz::tests::fuzz_for_a_while
//! -- --ignored --nocapture`, which prints what it tried and found (README: "Spreadsheet
//! import").

#[cfg(test)]
mod tests {
    use crate::imports::limits::Limits;
    use crate::imports::read::{CsvDialect, Flow, Workbook, CAUGHT_PANICS};
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::io::{Cursor, Read, Write};
    use std::sync::atomic::Ordering;

    /// Every committed fixture and example, but the hostile ones that are slow by design.
    fn corpus() -> Vec<(String, Vec<u8>)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [
            "tests/fixtures/imports",
            "imports/examples",
            "imports/templates",
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let slow = name.contains("zip_bomb") || name.contains("million_rows");
                let data = name.ends_with(".xlsx")
                    || name.ends_with(".xls")
                    || name.ends_with(".ods")
                    || name.ends_with(".csv");
                if data && !slow {
                    if let Ok(bytes) = std::fs::read(entry.path()) {
                        files.push((name, bytes));
                    }
                }
            }
        }
        files.sort();
        files
    }

    fn limits() -> Limits {
        Limits {
            max_bytes: 4 * 1024 * 1024,
            max_rows: 20_000,
            max_columns: 256,
            max_cells: 200_000,
            max_expanded_bytes: 64 * 1024 * 1024,
        }
    }

    /// Reads every sheet; `Ok(rows)` or the error's status and code.
    fn read_all(name: &str, bytes: &[u8]) -> Result<u64, (u16, &'static str)> {
        let status = |e: crate::error::AppError| (e.status().as_u16(), e.code());
        let mut workbook =
            Workbook::open(bytes, name, CsvDialect::default(), limits()).map_err(status)?;
        let mut rows = 0u64;
        for sheet in workbook.sheet_names() {
            workbook
                .rows(&sheet, &mut |_row| {
                    rows += 1;
                    Flow::More
                })
                .map_err(status)?;
        }
        Ok(rows)
    }

    /// A tiny deterministic generator (xorshift64*), so a long run can be repeated from its seed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn corrupt_bytes(bytes: &mut Vec<u8>, rng: &mut Rng) {
        for _ in 0..=rng.below(8) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len());
            match rng.below(4) {
                0 => bytes[at] = rng.next() as u8,
                1 => bytes.insert(at, rng.next() as u8),
                2 => {
                    bytes.remove(at);
                }
                _ => {
                    // Interesting values: digits, quotes, angle brackets, huge repeat counts.
                    let token: &[u8] = [
                        b"9999999999".as_slice(),
                        b"\"",
                        b"<",
                        b">",
                        b"-1",
                        b"\0",
                        b"&#0;",
                    ][rng.below(7)];
                    bytes.splice(at..at, token.iter().copied());
                }
            }
        }
        if rng.below(8) == 0 {
            let keep = rng.below(bytes.len() + 1);
            bytes.truncate(keep);
        }
    }

    /// Corrupts the content of one part of a zip package and rebuilds the package.
    fn corrupt_part(bytes: &[u8], rng: &mut Rng) -> Option<Vec<u8>> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let mut parts = BTreeMap::new();
        let mut order = Vec::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).ok()?;
            let name = entry.name().ok()?.to_string();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).ok()?;
            order.push(name.clone());
            parts.insert(name, content);
        }
        let victim = order.get(rng.below(order.len()))?.clone();
        if let Some(content) = parts.get_mut(&victim) {
            corrupt_bytes(content, rng);
        }
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for name in &order {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            out.start_file(name.as_str(), options).ok()?;
            out.write_all(&parts[name]).ok()?;
        }
        out.finish().ok().map(|c| c.into_inner())
    }

    fn mutate(original: &[u8], rng: &mut Rng) -> Vec<u8> {
        if original.starts_with(b"PK") && rng.below(3) != 0 {
            if let Some(bytes) = corrupt_part(original, rng) {
                return bytes;
            }
        }
        let mut bytes = original.to_vec();
        corrupt_bytes(&mut bytes, rng);
        bytes
    }

    /// Reads a corrupted file; `Err` when it broke a rule (a panic escaped, or a non-4xx).
    type Outcome = Result<u64, (u16, &'static str)>;
    fn check(name: &str, bytes: &[u8]) -> Result<Outcome, String> {
        match std::panic::catch_unwind(|| read_all(name, bytes)) {
            Err(_) => Err(format!("{name}: a panic escaped the reader")),
            Ok(Err((status, code))) if !(400..500).contains(&status) => {
                Err(format!("{name}: status {status} ({code}) for a bad file"))
            }
            Ok(outcome) => Ok(outcome),
        }
    }

    #[test]
    fn the_corpus_reads_cleanly() {
        let corpus = corpus();
        assert!(
            corpus.len() >= 20,
            "the fixtures are missing: {}",
            corpus.len()
        );
        for (name, bytes) in &corpus {
            // Hostile files and the Windows-1252 CSV (which needs its encoding stated) are
            // meant to be refused.
            if name.starts_with("hostile") || name.contains("cp1252") {
                continue;
            }
            assert!(read_all(name, bytes).is_ok(), "{name} must read");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
        #[test]
        fn corrupted_files_end_in_rows_or_a_4xx(file in any::<u32>(), seed in 1u64..) {
            let corpus = corpus();
            let (name, original) = &corpus[file as usize % corpus.len()];
            let mut rng = Rng(seed);
            let bytes = mutate(original, &mut rng);
            let checked = check(name, &bytes);
            prop_assert!(checked.is_ok(), "{:?}", checked);
        }
    }

    #[test]
    #[ignore = "long run: PROCURA_FUZZ_SECONDS=600 cargo test --release --lib imports::fuzz -- --ignored --nocapture"]
    fn fuzz_for_a_while() {
        let seconds: u64 = std::env::var("PROCURA_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(30);
        let seed: u64 = std::env::var("PROCURA_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20_261_202);
        let corpus = corpus();
        let mut rng = Rng(seed);
        let started = std::time::Instant::now();
        let panics_before = CAUGHT_PANICS.load(Ordering::Relaxed);
        let (mut cases, mut read_ok) = (0u64, 0u64);
        let mut codes: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut failures = Vec::new();
        while started.elapsed().as_secs() < seconds {
            let (name, original) = &corpus[rng.below(corpus.len())];
            let bytes = mutate(original, &mut rng);
            cases += 1;
            match check(name, &bytes) {
                Err(failure) => failures.push(failure),
                Ok(Ok(_)) => read_ok += 1,
                Ok(Err((_, code))) => *codes.entry(code).or_default() += 1,
            }
        }
        let panics = CAUGHT_PANICS.load(Ordering::Relaxed) - panics_before;
        println!(
            "fuzzed {cases} corrupted files from {} originals in {:.0} s (seed {seed}): {read_ok} still read, refusals {codes:?}, reader panics caught and refused {panics}, failures {}",
            corpus.len(),
            started.elapsed().as_secs_f64(),
            failures.len()
        );
        for failure in failures.iter().take(20) {
            println!("  {failure}");
        }
        assert!(
            failures.is_empty(),
            "{} inputs broke the rules",
            failures.len()
        );
    }
}
