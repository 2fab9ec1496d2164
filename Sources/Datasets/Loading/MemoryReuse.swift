import ImageCodecs

/// Keeps freed buffers in the process for reuse. Decoding allocates and frees several large
/// buffers per sample (file bytes, pixels, resized planes); by default glibc serves each one with
/// a fresh mmap and hands it back on free, so every sample pays page faults and zeroing for memory
/// it had just released. Fixed thresholds keep blocks up to 32 MiB on the heap and let up to
/// 256 MiB of free memory stay mapped; larger tensors are still mapped and unmapped on their own.
enum MemoryReuse {
    static let enabled: Void = ic_keep_freed_memory(32 << 20, 256 << 20)
}
