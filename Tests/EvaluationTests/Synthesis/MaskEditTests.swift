import Evaluation
import Foundation
import Testing
import Training

/// The mask edits of `segmadiff synthesize` on plain label maps: each keeps the map a valid label map
/// of the same size, does what its name says, is reproducible from its seed, and a sample whose
/// edits lose a class is dropped.
@Suite struct MaskEditTests {
    /// 32 x 24 (not square, so a swapped axis would show): background, a rectangle of class 1 with a
    /// disc of class 2 inside, and a small square of class 3 near the top left.
    static let map: LabelMap = {
        var map = LabelMap(width: 32, height: 24, labels: Array(repeating: 0, count: 32 * 24))
        for y in 4..<20 { for x in 6..<26 { map[x: x, y: y] = 1 } }
        for y in 0..<24 { for x in 0..<32 where (x - 16) * (x - 16) + (y - 12) * (y - 12) <= 16 { map[x: x, y: y] = 2 } }
        for y in 1..<4 { for x in 1..<4 { map[x: x, y: y] = 3 } }
        return map
    }()

    func edit(_ text: String) throws -> MaskEdit { try MaskEdit(parsing: text) }

    func applied(_ text: String, seed: UInt64 = 7, to maps: [LabelMap] = [MaskEditTests.map]) throws -> MaskEditChain.Result {
        MaskEditChain([try edit(text)]).apply(to: maps, seed: seed)
    }

    func pixels(of label: Int64, in map: LabelMap) -> Set<[Int]> {
        Set(map.labels.indices.filter { map.labels[$0] == label }.map { [$0 % map.width, $0 / map.width] })
    }

    @Test func specsSpellOutEveryParameterSoEquivalentEditsCompareEqual() throws {
        #expect(try edit("flip").spec == "flip:axis=x,p=1")
        #expect(try edit("flip:p=1,axis=x").spec == "flip:axis=x,p=1")
        #expect(try edit("affine:p=0.5").spec == "affine:rotate=10,scale=0.1,shift=0.05,p=0.5")
        #expect(try edit("elastic:alpha=3").spec == "elastic:alpha=3,grid=8,p=1")
        #expect(try edit("grow:class=2,px=1..3").spec == "grow:class=2,px=1..3,p=1")
        #expect(try edit("move:class=1,dx=-2..5").spec == "move:class=1,dx=-2..5,dy=-4..4,p=1")
        // The canonical spec parses back to the same edit.
        for text in ["flip:axis=y,p=0.25", "affine:rotate=5,scale=0,shift=0.1", "shrink:class=3,px=2", "remove:class=2"] {
            let parsed = try edit(text)
            #expect(try edit(parsed.spec) == parsed)
        }
    }

    @Test(arguments: [
        ("blur", "unknown edit \"blur\""), ("grow", "needs the class"), ("grow:class=0", "0 is the background"),
        ("flip:axis=z", "axis=z"), ("affine:angle=3", "affine has no \"angle\""), ("grow:class=1,px=3..1", "px=3..1"),
        ("flip:p=2", "p=2 must be a number from 0 to 1"), ("flip:p", "is not KEY=VALUE"), ("remove:class=1,class=2", "given twice"),
        ("elastic:alpha=nan", "alpha=nan"),
    ])
    func badEditsAreOneLineNamingTheFlag(text: String, words: String) {
        do {
            _ = try MaskEdit(parsing: text)
            Issue.record("\(text) was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix("--edit \"\(text)\"") && message.contains(words) && !message.contains("\n"), "\(message)")
        }
    }

    @Test(arguments: ["flip", "flip:axis=y", "affine:rotate=30,scale=0.3,shift=0.1", "elastic:alpha=3,grid=6", "remove:class=2",
                      "grow:class=2,px=3", "shrink:class=1,px=1", "move:class=3,dx=5,dy=2", "grow:class=3,px=0..4"])
    func everyEditKeepsAValidLabelMapOfTheSameSize(text: String) throws {
        for seed in UInt64(0)..<8 {
            let result = try applied(text, seed: seed)
            guard result.dropReason == nil else { continue }
            let edited = result.maps[0]
            #expect(edited.width == Self.map.width && edited.height == Self.map.height && edited.labels.count == Self.map.labels.count)
            #expect(Set(edited.labels).isSubset(of: Set(Self.map.labels)), "\(text): only labels of the source map")
        }
    }

    @Test func flipMirrorsAndTwiceIsTheIdentity() throws {
        let flipped = try applied("flip").maps[0]
        #expect(pixels(of: 3, in: flipped) == Set(pixels(of: 3, in: Self.map).map { [31 - $0[0], $0[1]] }))
        let vertical = try applied("flip:axis=y").maps[0]
        #expect(pixels(of: 3, in: vertical) == Set(pixels(of: 3, in: Self.map).map { [$0[0], 23 - $0[1]] }))
        #expect(MaskEditChain([try edit("flip"), try edit("flip")]).apply(to: [Self.map], seed: 1).maps[0] == Self.map)
    }

    @Test func growAndShrinkChangeOneClassAndShrinkingFillsFromAround() throws {
        let grown = try applied("grow:class=2,px=2").maps[0]
        #expect(pixels(of: 2, in: grown).isSuperset(of: pixels(of: 2, in: Self.map)))
        #expect(grown.pixelCount(of: 2) > Self.map.pixelCount(of: 2) + 20)
        #expect(pixels(of: 3, in: grown) == pixels(of: 3, in: Self.map), "other classes away from it stay")
        let shrunk = try applied("shrink:class=2,px=1").maps[0]
        #expect(pixels(of: 2, in: shrunk).isSubset(of: pixels(of: 2, in: Self.map)))
        #expect(shrunk.pixelCount(of: 2) < Self.map.pixelCount(of: 2) && shrunk.pixelCount(of: 2) > 0)
        // The disc sits inside class 1: its rim becomes class 1, not background.
        #expect(shrunk.pixelCount(of: 0) == Self.map.pixelCount(of: 0))
        #expect(shrunk.pixelCount(of: 1) == Self.map.pixelCount(of: 1) + Self.map.pixelCount(of: 2) - shrunk.pixelCount(of: 2))
        let recorded = try applied("grow:class=2,px=1..3").records[0]
        #expect((1...3).contains(recorded["px"] as! Double) && recorded["applied"] as? Bool == true)
    }

    @Test func moveShiftsOneClassExactly() throws {
        let result = try applied("move:class=2,dx=3,dy=-2")
        let moved = result.maps[0]
        #expect(pixels(of: 2, in: moved) == Set(pixels(of: 2, in: Self.map).map { [$0[0] + 3, $0[1] - 2] }))
        #expect(pixels(of: 3, in: moved) == pixels(of: 3, in: Self.map))
        #expect(moved.pixelCount(of: 0) == Self.map.pixelCount(of: 0), "the hole is filled by class 1 around it")
        #expect(result.records[0]["dx"] as? Double == 3 && result.records[0]["dy"] as? Double == -2)
    }

    @Test func aSampleThatLosesAClassIsDroppedButRemovingOneIsNot() throws {
        let outside = try applied("move:class=3,dx=-3,dy=0")
        #expect(outside.dropReason?.contains("class 3 would leave the image") == true, "\(outside.dropReason ?? "kept")")
        let vanished = try applied("shrink:class=3,px=2")
        #expect(vanished.dropReason == "class 3 is empty after shrink:class=3,px=2,p=1")
        // Shifts of up to 90% of the side push the corner square out for some seeds, never a wrong reason.
        let shifted = try (UInt64(0)..<20).map { try applied("affine:rotate=0,scale=0,shift=0.9", seed: $0).dropReason }
        #expect(shifted.contains { $0 != nil })
        #expect(shifted.compactMap { $0 }.allSatisfy { $0.hasSuffix("is empty after affine:rotate=0,scale=0,shift=0.9,p=1") })
        let removed = try applied("remove:class=3")
        #expect(removed.dropReason == nil && removed.maps[0].pixelCount(of: 3) == 0)
        #expect(removed.maps[0].pixelCount(of: 0) == Self.map.pixelCount(of: 0) + Self.map.pixelCount(of: 3))
    }

    @Test func theSameSeedGivesTheSameMaskAndAnotherSeedAnotherOne() throws {
        let chain = MaskEditChain(try ["flip:p=0.5", "affine:rotate=20,scale=0.2,shift=0.1", "elastic:alpha=2,grid=6", "grow:class=1,px=0..2"].map(edit))
        let first = chain.apply(to: [Self.map], seed: 42), again = chain.apply(to: [Self.map], seed: 42)
        #expect(first.maps == again.maps)
        #expect(try json(first.records) == json(again.records))
        #expect(chain.apply(to: [Self.map], seed: 43).maps != first.maps)
        // Adding an edit at the end leaves the earlier ones' draws alone.
        let longer = MaskEditChain(chain.edits + [try edit("flip:axis=y")]).apply(to: [Self.map], seed: 42)
        #expect(longer.records[1]["rotate_degrees"] as? Double == first.records[1]["rotate_degrees"] as? Double)
    }

    func json(_ records: [[String: Any]]) throws -> Data {
        try JSONSerialization.data(withJSONObject: records, options: [.sortedKeys])
    }

    @Test func probabilityDecidesPerSampleAndIsRecorded() throws {
        let never = try applied("flip:p=0")
        #expect(never.maps[0] == Self.map && never.records[0]["applied"] as? Bool == false)
        let chain = MaskEditChain([try edit("flip:p=0.5")])
        let flips = (UInt64(0)..<200).filter { chain.apply(to: [Self.map], seed: $0).records[0]["applied"] as! Bool }.count
        #expect((70...130).contains(flips), "about half of 200 samples: \(flips)")
    }

    @Test func severalSegTypesAreEditedAlike() throws {
        var other = Self.map
        other.labels = other.labels.map { $0 == 3 ? 1 : 0 }
        let result = MaskEditChain([try edit("affine:rotate=15,scale=0.1,shift=0.05")]).apply(to: [Self.map, other], seed: 5)
        // Where the second map's structure (the first's class 3) ends up equals the first's class 3.
        #expect(pixels(of: 1, in: result.maps[1]) == pixels(of: 3, in: result.maps[0]))
    }
}
