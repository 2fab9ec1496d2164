/// diffusers <= 0.16 (the `AttentionBlock` era) named the attention projections `query`, `key`,
/// `value` and `proj_attn`; the same tensors are now `to_q`, `to_k`, `to_v` and `to_out.0` (docs/python-reference.md §3.9).
enum LegacyAttentionNames {
    static let renames = [("query", "to_q"), ("key", "to_k"), ("value", "to_v"), ("proj_attn", "to_out.0")]

    /// The current name of a state-dict key (unchanged when it is not a legacy attention key).
    static func current(_ key: String) -> String {
        guard key.contains(".attentions.") else { return key }
        for (old, new) in renames {
            for suffix in [".weight", ".bias"] where key.hasSuffix(".\(old)\(suffix)") {
                return String(key.dropLast(old.count + suffix.count)) + new + suffix
            }
        }
        return key
    }
}
