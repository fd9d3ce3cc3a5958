#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nlwatch_fuzz::replay(data));
