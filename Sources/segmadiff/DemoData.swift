import Datasets
import Foundation

/// The demo's data set: real MRI slices when the templates can be had, else the phantom.
struct DemoData {
    var images: String
    var masks: String
    var classNames: [String]
    var counts: [Split: Int]
    var description: String
    /// How train, val and test were kept apart, in one line.
    var split: String
    /// What results.json records about the split.
    var splitJSON: [String: Any]

    var testCount: Int { counts[.test] ?? 0 }

    static let templates = "/usr/share/mricron/templates"

    /// `folder` lies inside a folder `DemoFolder.claim` checked, so replacing it loses nothing of the user's.
    static func prepare(in folder: URL, size: Int, forcePhantom: Bool, seed: UInt64) throws -> DemoData {
        try? FileManager.default.removeItem(at: folder)
        let image = "\(templates)/ch2.nii.gz", labels = "\(templates)/aal.nii.gz"
        if !forcePhantom, templatesAvailable(image, labels) {
            var options = NiftiImportOptions(volumes: [(image, labels)], output: folder.path)
            // AAL regions: cortex of the four lobes, deep and limbic grey matter, cerebellum and vermis.
            options.labelGrouping = try LabelGrouping.parse("1-28:1,43-70:1,79-90:1,29-42:2,71-78:2,91-116:3")
            // One volume: contiguous slabs with unused gaps, so no test slice has a training slice
            // 1 mm away (a slice-by-slice split would score memory, not generalisation).
            options.splitRule = .slab
            options.seed = seed
            let summary = try NiftiImporter.run(options)
            let total = summary.slices.values.reduce(0, +) + summary.unusedSlices
            return DemoData(images: summary.imageDirectory, masks: summary.maskDirectory,
                            classNames: ["background", "cortex", "deep grey matter", "cerebellum"], counts: summary.slices,
                            description: "real brain MRI: \(total) labelled axial slices of Colin27 (T1) with AAL regions grouped into 3 classes",
                            split: "\(summary.splitExplanation): train \(summary.slices[.train] ?? 0), val \(summary.slices[.val] ?? 0), test \(summary.slices[.test] ?? 0), unused \(summary.unusedSlices) slices; see \(summary.provenanceFile)",
                            splitJSON: ["rule": summary.splitRule.rawValue, "gap": summary.splitGap, "unused_slices": summary.unusedSlices,
                                        "slices": countsJSON(summary.slices), "slices_csv": summary.provenanceFile,
                                        "explanation": summary.splitExplanation])
        }
        let counts: [Split: Int] = [.train: 120, .val: 16, .test: 16]
        try HeadPhantom.write(to: folder, size: size, counts: counts, seed: seed)
        let reason = forcePhantom ? "as asked" : "the MRI templates of Debian's mricron-data are not installed (apt-get install mricron-data, as root)"
        let explanation = "split by image (every phantom is drawn independently, so no two splits share anything)"
        return DemoData(images: folder.appendingPathComponent("images").path,
                        masks: folder.appendingPathComponent("masks").path,
                        classNames: HeadPhantom.classNames, counts: counts,
                        description: "a SYNTHETIC head phantom (\(reason))",
                        split: "\(explanation): train 120, val 16, test 16 images",
                        splitJSON: ["rule": "independent_images", "slices": countsJSON(counts), "explanation": explanation])
    }

    private static func countsJSON(_ counts: [Split: Int]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: Split.allCases.map { ($0.rawValue, counts[$0] ?? 0) })
    }

    /// The templates, installed from Debian's mricron-data when missing and allowed.
    private static func templatesAvailable(_ files: String...) -> Bool {
        let present = { files.allSatisfy { FileManager.default.fileExists(atPath: $0) } }
        if present() { return true }
        guard getuid() == 0 else { return false }
        print("segmadiff demo: installing Debian's mricron-data (brain MRI templates)...")
        for arguments in [["update", "-qq"], ["install", "-y", "-qq", "mricron-data"]] {
            let apt = Process()
            apt.executableURL = URL(fileURLWithPath: "/usr/bin/apt-get")
            apt.arguments = arguments
            apt.standardOutput = FileHandle.nullDevice
            apt.standardError = FileHandle.nullDevice
            guard (try? apt.run()) != nil else { return false }
            apt.waitUntilExit()
        }
        return present()
    }
}
