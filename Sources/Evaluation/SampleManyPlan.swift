import Foundation

/// Which mask each of eval_many's N images uses, and the names they are saved under: masks in
/// file-name order, cycling when there are fewer masks than images; an image takes its mask's
/// name, with a counter (`case01_2`) from the second use of a mask on, so no two names collide.
/// Unconditional images are numbered as the seed numbers them (`0000`, `0001`, ...).
public struct SampleManyPlan: Sendable {
    public struct Entry: Sendable, Equatable {
        /// The image's position in the run (its seeds derive from it).
        public let index: Int
        /// The file name without extension, shared by the image and its mask.
        public let stem: String
        /// Index into the mask list; nil when unconditional.
        public let maskIndex: Int?
    }

    public let entries: [Entry]

    public init(count: Int, maskNames: [String]) {
        guard !maskNames.isEmpty else {
            entries = (0..<count).map { Entry(index: $0, stem: String(format: "%04d", $0), maskIndex: nil) }
            return
        }
        var taken = Set<String>()
        var entries: [Entry] = []
        for index in 0..<count {
            let maskIndex = index % maskNames.count
            let base = (maskNames[maskIndex] as NSString).deletingPathExtension
            var use = index / maskNames.count + 1
            var stem = use == 1 ? base : "\(base)_\(use)"
            while taken.contains(stem) {
                use += 1
                stem = "\(base)_\(use)"
            }
            taken.insert(stem)
            entries.append(Entry(index: index, stem: stem, maskIndex: maskIndex))
        }
        self.entries = entries
    }

    /// Fixed windows of `size` images: a batch's images and its DDPM step noise never depend on
    /// which images a resumed run still has to make.
    public func batches(of size: Int) -> [ArraySlice<Entry>] {
        stride(from: 0, to: entries.count, by: size).map { entries[$0..<min($0 + size, entries.count)] }
    }
}
