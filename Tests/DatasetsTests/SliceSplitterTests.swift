import Datasets
import Foundation
import Testing

/// The split bookkeeping: no volume or slab reaches two splits, and the gap slices between slabs of
/// different splits are used by none.
@Suite("Slice splitter")
struct SliceSplitterTests {
    /// Every pair of slices of one volume in different splits lies more than `gap` positions apart,
    /// and every position between them that is not in either split is unused.
    static func expectSeparated(_ roles: [SliceRole], gap: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let used = roles.indices.filter { roles[$0] != .unused }
        for (i, j) in zip(used, used.dropFirst()) where roles[i] != roles[j] {
            #expect(j - i > gap, "positions \(i) (\(roles[i])) and \(j) (\(roles[j])) are \(j - i) apart", sourceLocation: sourceLocation)
        }
    }

    @Test func oneVolumeIsCutIntoSeparatedSlabsThatSpreadAlongTheAxis() throws {
        let plan = try SliceSplitter.assign(volumes: [("brain.nii.gz", 150)], rule: .auto, gap: 5, fractions: .standard, seed: 0)
        #expect(plan.rule == .slab && plan.gap == 5)
        let roles = plan.roles[0]
        #expect(roles.count == 150)
        Self.expectSeparated(roles, gap: 5)
        // One val and one test slab (150 x 0.1 is too short for two slabs of twice the gap), each with
        // five unused slices on both sides: 20 unused, 13 + 13 held out of the 130 used.
        #expect(plan.count(.unused) == 20)
        #expect(plan.count(.val) == 13 && plan.count(.test) == 13 && plan.count(.train) == 104)
        // Held-out slabs lie inside the volume, not at its ends.
        #expect(roles.first == .train && roles.last == .train)
        // Each held-out split is one contiguous run.
        for role in [SliceRole.val, .test] {
            let positions = roles.indices.filter { roles[$0] == role }
            #expect(positions.last! - positions.first! + 1 == positions.count, "\(role) is not one slab")
        }
    }

    @Test func aLargerVolumeGetsSeveralSlabsPerSplit() throws {
        let plan = try SliceSplitter.assign(volumes: [("ct", 400)], rule: .slab, gap: 5, fractions: .standard, seed: 7)
        let roles = plan.roles[0]
        Self.expectSeparated(roles, gap: 5)
        // 400 x 0.1 = 40 slices per held-out split: four slabs of at least 10 each.
        let runs = zip(roles, roles.dropFirst()).filter { $0.0 != $0.1 && $0.1 == .test }.count
        #expect(runs == 4)
        #expect(plan.count(.unused) == 2 * 5 * 8)
    }

    @Test func theSameSeedGivesTheSameSplitAndAnotherMovesTheSlabs() throws {
        let a = try SliceSplitter.assign(volumes: [("v", 120)], rule: .slab, fractions: .standard, seed: 1)
        let b = try SliceSplitter.assign(volumes: [("v", 120)], rule: .slab, fractions: .standard, seed: 1)
        let c = try SliceSplitter.assign(volumes: [("v", 120)], rule: .slab, fractions: .standard, seed: 2)
        #expect(a == b)
        #expect(a.roles != c.roles)
        Self.expectSeparated(c.roles[0], gap: SplitRule.defaultGap)
    }

    @Test func severalVolumesGoWholeIntoOneSplitEach() throws {
        let volumes = (0..<10).map { (id: "subject\($0).nii.gz", sliceCount: 20 + $0) }
        let plan = try SliceSplitter.assign(volumes: volumes, rule: .auto, fractions: .standard, seed: 4)
        #expect(plan.rule == .volume && plan.count(.unused) == 0)
        var splitOfVolume: [SliceRole] = []
        for roles in plan.roles {
            #expect(Set(roles).count == 1, "a volume reaches two splits")
            splitOfVolume.append(roles[0])
        }
        #expect(splitOfVolume.filter { $0 == .train }.count == 8)
        #expect(splitOfVolume.filter { $0 == .val }.count == 1 && splitOfVolume.filter { $0 == .test }.count == 1)
    }

    @Test func twoVolumesAreTooFewForThreeSplitsSoEachIsCutIntoSlabs() throws {
        let plan = try SliceSplitter.assign(volumes: [("a", 90), ("b", 90)], rule: .auto, gap: 3, fractions: .standard, seed: 0)
        #expect(plan.rule == .slab)
        for roles in plan.roles {
            Self.expectSeparated(roles, gap: 3)
            #expect(Set(roles) == [.train, .val, .test, .unused])
        }
        // Explicitly asking for a volume split with too few volumes is refused, with the fix.
        let error = #expect(throws: DataError.self) {
            try SliceSplitter.assign(volumes: [("a", 90), ("b", 90)], rule: .volume, fractions: .standard, seed: 0)
        }
        #expect(error?.message.contains("--split_by slab") == true)
    }

    @Test func tooFewSlicesForTheGapIsAnErrorNamingTheVolumeAndTheFix() {
        let error = #expect(throws: DataError.self) {
            try SliceSplitter.assign(volumes: [("head.nii.gz", 12)], rule: .slab, gap: 5, fractions: .standard, seed: 0)
        }
        #expect(error?.message.hasPrefix("head.nii.gz has 12 slices to split") == true)
        #expect(error?.message.contains("at least 23") == true && error?.message.contains("--gap") == true)
    }

    @Test func aSingleSplitNeedsNoGapAndSliceSplitsHaveNone() throws {
        let external = try SliceSplitter.assign(volumes: [("external", 30)], rule: .auto,
                                                fractions: SplitFractions(train: 0, val: 0, test: 1), seed: 0)
        #expect(external.roles[0] == [SliceRole](repeating: .test, count: 30))
        let slices = try SliceSplitter.assign(volumes: [("v", 4)], rule: .slice,
                                              fractions: SplitFractions(train: 0.5, val: 0.25, test: 0.25), seed: 3)
        #expect(slices.rule == .slice && slices.count(.unused) == 0)
        #expect(slices.count(.train) == 2 && slices.count(.val) == 1 && slices.count(.test) == 1)
        #expect(slices.explanation.contains("optimistic"))
    }

    @Test func provenanceSurvivesAWriteAndARead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("segmadiff-provenance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = [SliceProvenance(name: "a_z01.png", role: .train, volume: "/data/a.nii.gz", sliceIndex: 1),
                    SliceProvenance(name: "b, \"odd\"_z02.png", role: .unused, volume: "/data/b, \"odd\".nii", sliceIndex: 2)]
        let path = folder.appendingPathComponent(SliceProvenance.fileName).path
        try SliceProvenance.csv(rows).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SliceProvenance.read(path) == rows)
    }
}
