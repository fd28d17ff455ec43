use super::*;

#[test]
fn defaults_are_the_balanced_policy() {
    let options = CompressionOptions::default();
    assert_eq!(options, CompressionOptions::new());
    assert_eq!(options, CompressionOptions::balanced());
    assert_eq!(options.get_compression_level(), 6);
    assert_eq!(options.get_mem_level(), 4);
    assert_eq!(options.get_compressor_window_bits(), 13);
    assert_eq!(options.get_preferred_client_max_window_bits(), Some(12));
    assert!(!options.get_server_no_context_takeover());
    assert!(!options.get_client_no_context_takeover());
    assert_eq!(options.get_server_max_window_bits(), None);
    assert_eq!(options.get_client_max_window_bits(), None);
    assert_eq!(
        options.get_threshold(),
        CompressionOptions::DEFAULT_THRESHOLD
    );
}

#[test]
fn setters_accept_the_whole_range() {
    for level in 0..=9 {
        let _ = CompressionOptions::new().compression_level(level);
    }
    for level in 1..=9 {
        let _ = CompressionOptions::new().mem_level(level);
    }
    for bits in 9..=15 {
        let _ = CompressionOptions::new().server_max_window_bits(Some(bits));
    }
    for bits in 8..=15 {
        let _ = CompressionOptions::new().client_max_window_bits(Some(bits));
    }
    let options = CompressionOptions::new()
        .server_max_window_bits(Some(9))
        .server_max_window_bits(None)
        .client_max_window_bits(Some(8))
        .client_max_window_bits(None);
    assert_eq!(options, CompressionOptions::default());
}

#[test]
#[should_panic(expected = "compression_level")]
fn compression_level_above_9_panics() {
    let _ = CompressionOptions::new().compression_level(10);
}

#[test]
#[should_panic(expected = "mem_level")]
fn mem_level_0_panics() {
    let _ = CompressionOptions::new().mem_level(0);
}

#[test]
#[should_panic(expected = "mem_level")]
fn mem_level_above_9_panics() {
    let _ = CompressionOptions::new().mem_level(10);
}

#[test]
#[should_panic(expected = "server_max_window_bits")]
fn server_window_8_panics() {
    let _ = CompressionOptions::new().server_max_window_bits(Some(8));
}

#[test]
#[should_panic(expected = "server_max_window_bits")]
fn server_window_16_panics() {
    let _ = CompressionOptions::new().server_max_window_bits(Some(16));
}

#[test]
fn max_ratio_is_zlibs_defaults_at_level_9() {
    let options = CompressionOptions::max_ratio();
    assert_eq!(
        (options.get_compression_level(), options.get_mem_level()),
        (9, 9)
    );
    assert_eq!(options.get_compressor_window_bits(), 15);
    assert!(!options.get_server_no_context_takeover());
    assert!(!options.get_client_no_context_takeover());
}

#[test]
#[should_panic(expected = "compressor_window_bits")]
fn compressor_window_8_panics() {
    let _ = CompressionOptions::new().compressor_window_bits(8);
}

#[test]
#[should_panic(expected = "preferred_client_max_window_bits")]
fn preferred_client_window_8_panics() {
    let _ = CompressionOptions::new().preferred_client_max_window_bits(Some(8));
}

#[test]
#[should_panic(expected = "client_max_window_bits")]
fn client_window_7_panics() {
    let _ = CompressionOptions::new().client_max_window_bits(Some(7));
}
